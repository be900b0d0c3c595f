import { useMemo } from 'react';
import Box from '@material-ui/core/Box';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { fieldUnit } from '@homelab/plugin-streaming-common';
import type { ChartPoint, DeviceSeries } from '../../live';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
/** More points than pixels only costs frames; the newest point is always kept. */
const MAX_RENDERED_POINTS = 600;

export function decimate(points: ChartPoint[], max = MAX_RENDERED_POINTS): ChartPoint[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  const out: ChartPoint[] = [];
  for (let i = 0; i < max - 1; i++) out.push(points[Math.floor(i * step)]);
  out.push(points[points.length - 1]);
  return out;
}

const time = (t: number) => new Date(t).toLocaleTimeString();

/**
 * The rolling chart: one line per device and chosen field over the window.
 * `data-points` lists the points held per device (`device:count`), so a
 * browser test can check that a reconnect left no gap.
 */
export function LiveChart({ series, fields, windowMinutes, at }: { series: DeviceSeries[]; fields: string[]; windowMinutes: number; at: number }) {
  const lines = useMemo(
    () =>
      series.flatMap(s =>
        fields.map(field => ({
          key: `${s.deviceId}/${field}`,
          name: `${s.deviceId} ${field}${fieldUnit(field) ? ` (${fieldUnit(field)})` : ''}`,
          field,
          data: decimate(s.points.filter(p => p.fields[field] !== undefined)),
        })),
      ),
    [series, fields],
  );
  const counts = series.map(s => `${s.deviceId}:${s.points.length}`).join(',');
  const newest = Math.max(0, ...series.map(s => s.points[s.points.length - 1]?.t ?? 0));
  return (
    <Box height={320} data-testid="live-chart" data-points={counts} data-newest={newest ? new Date(newest).toISOString() : ''}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart margin={{ top: 8, right: 24, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="t"
            domain={[at - windowMinutes * 60_000, at]}
            allowDataOverflow
            tickFormatter={time}
            scale="time"
          />
          <YAxis />
          <Tooltip labelFormatter={t => time(Number(t))} />
          <Legend />
          {lines.map((line, i) => (
            <Line
              key={line.key}
              name={line.name}
              data={line.data}
              dataKey={(p: ChartPoint) => p.fields[line.field]}
              stroke={COLORS[i % COLORS.length]}
              dot={false}
              isAnimationActive={false}
              type="linear"
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </Box>
  );
}
