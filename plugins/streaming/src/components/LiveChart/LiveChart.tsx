import { useMemo } from 'react';
import Box from '@material-ui/core/Box';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { StreamName } from '@homelab/plugin-streaming-common';
import { CHART_COLORS } from '../common';
import type { ChartPoint, DeviceSeries } from '../../live';
import { fieldInfo } from './streamFields';

/** More points than pixels only costs frames; the newest point is always kept. */
const MAX_RENDERED_POINTS = 600;
const NO_UNIT = 'value';

export function decimate(
  points: ChartPoint[],
  max = MAX_RENDERED_POINTS,
): ChartPoint[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  const out: ChartPoint[] = [];
  for (let i = 0; i < max - 1; i++) out.push(points[Math.floor(i * step)]);
  out.push(points[points.length - 1]);
  return out;
}

const time = (t: number) => new Date(t).toLocaleTimeString();

export interface ChartLine {
  key: string;
  name: string;
  field: string;
  unit: string;
  data: ChartPoint[];
}

/**
 * One line per device and chosen field that has data in the window: a
 * device without the field (a sensor under a power field) is not a line and
 * so not in the legend.
 */
export function chartLines(
  stream: StreamName,
  series: DeviceSeries[],
  fields: string[],
): ChartLine[] {
  return series
    .filter(s => s.stream === stream)
    .flatMap(s =>
      fields.map(field => {
        const { label, unit } = fieldInfo(stream, field);
        return {
          key: `${s.deviceId}/${field}`,
          name: `${s.deviceId} ${label}${unit ? ` (${unit})` : ''}`,
          field,
          unit: unit ?? NO_UNIT,
          data: decimate(s.points.filter(p => p.fields[field] !== undefined)),
        };
      }),
    )
    .filter(line => line.data.length > 0);
}

/**
 * The rolling chart of one stream over the window, with a y axis per unit
 * (the first on the left, the second on the right), so kW and W, or °C and
 * %, are never read against the same scale.
 */
export function LiveChart({
  stream,
  series,
  fields,
  windowMinutes,
  at,
}: {
  stream: StreamName;
  series: DeviceSeries[];
  fields: string[];
  windowMinutes: number;
  at: number;
}) {
  const lines = useMemo(
    () => chartLines(stream, series, fields),
    [stream, series, fields],
  );
  const units = [...new Set(lines.map(l => l.unit))];
  return (
    <Box
      height={280}
      data-testid={`live-chart-${stream}`}
      data-lines={lines.map(l => l.name).join('|')}
    >
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
          {(units.length ? units : [NO_UNIT]).map((unit, i) => (
            <YAxis
              key={unit}
              yAxisId={unit}
              orientation={i === 1 ? 'right' : 'left'}
              hide={i > 1}
              domain={['auto', 'auto']}
              label={
                unit === NO_UNIT
                  ? undefined
                  : {
                      value: unit,
                      angle: -90,
                      position: i === 1 ? 'insideRight' : 'insideLeft',
                    }
              }
            />
          ))}
          <Tooltip labelFormatter={t => time(Number(t))} />
          <Legend />
          {lines.map((line, i) => (
            <Line
              key={line.key}
              name={line.name}
              data={line.data}
              yAxisId={line.unit}
              dataKey={(p: ChartPoint) => p.fields[line.field]}
              stroke={CHART_COLORS[i % CHART_COLORS.length]}
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
