import { useState } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
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
import type {
  HistoryBucket,
  HypertableHistoryResponse,
} from '@homelab/plugin-streaming-common';
import { streamingApiRef } from '../../api';
import { CHART_COLORS } from '../common';

function defaultSeries(series: string[]): string {
  return (
    series.find(s => s.endsWith('_avg') || s.startsWith('avg_')) ??
    series.find(s => s !== 'count') ??
    series[0]
  );
}

/** Pivots points (bucket, device, values) into one row per bucket with a column per device. */
function pivot(history: HypertableHistoryResponse, series: string) {
  const rows = new Map<string, Record<string, number | string | null>>();
  const devices = new Set<string>();
  for (const p of history.points) {
    const device = p.deviceId || 'all';
    devices.add(device);
    if (!rows.has(p.bucket)) rows.set(p.bucket, { bucket: p.bucket });
    rows.get(p.bucket)![device] = p.values[series] ?? null;
  }
  return {
    data: [...rows.values()],
    devices: [...devices].sort().slice(0, CHART_COLORS.length),
  };
}

/** History of one table from its continuous aggregate (or the raw table), by device. */
export function HistoryChart({ table }: { table: string }) {
  const api = useApi(streamingApiRef);
  const { entity } = useEntity();
  const ref = getCompoundEntityRef(entity);
  const [bucket, setBucket] = useState<HistoryBucket>('hour');
  const [chosen, setChosen] = useState<string | undefined>();
  const { value, loading, error } = useAsync(
    () => api.getTimescaleHistory(ref, { table, bucket }),
    [api, ref.kind, ref.namespace, ref.name, table, bucket],
  );
  const series =
    value &&
    (chosen && value.series.includes(chosen)
      ? chosen
      : defaultSeries(value.series));
  const { data, devices } =
    value && series ? pivot(value, series) : { data: [], devices: [] };
  return (
    <Box>
      <Box display="flex" alignItems="center" mb={1}>
        <TextField
          select
          size="small"
          label="Bucket"
          value={bucket}
          onChange={e => setBucket(e.target.value as HistoryBucket)}
          style={{ minWidth: 100, marginRight: 16 }}
        >
          <MenuItem value="hour">hour</MenuItem>
          <MenuItem value="day">day</MenuItem>
        </TextField>
        {value && value.series.length > 0 && (
          <TextField
            select
            size="small"
            label="Series"
            value={series}
            onChange={e => setChosen(e.target.value)}
            style={{ minWidth: 180, marginRight: 16 }}
          >
            {value.series.map(s => (
              <MenuItem key={s} value={s}>
                {s}
              </MenuItem>
            ))}
          </TextField>
        )}
        {value && (
          <Typography variant="caption" color="textSecondary">
            source: {value.source}
          </Typography>
        )}
      </Box>
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && data.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No rows in this period yet.
        </Typography>
      )}
      {value && data.length > 0 && (
        <ResponsiveContainer
          width="100%"
          height={280}
          initialDimension={{ width: 800, height: 280 }}
        >
          <LineChart data={data}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="bucket"
              tickFormatter={(b: string) =>
                bucket === 'hour'
                  ? new Date(b).toLocaleTimeString([], {
                      hour: '2-digit',
                      minute: '2-digit',
                    })
                  : new Date(b).toLocaleDateString()
              }
            />
            <YAxis />
            <Tooltip
              labelFormatter={(b: string) => new Date(b).toLocaleString()}
            />
            <Legend />
            {devices.map((d, i) => (
              <Line
                key={d}
                type="monotone"
                dataKey={d}
                stroke={CHART_COLORS[i]}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </Box>
  );
}
