import { Line, LineChart, Tooltip, YAxis } from 'recharts';
import type { LagSample } from '@homelab/plugin-streaming-common';

/** Total lag over the sampled window; fixed size so it works in cards and table cells alike. */
export function Sparkline({
  samples,
  width = 160,
  height = 40,
}: {
  samples: LagSample[];
  width?: number;
  height?: number;
}) {
  if (samples.length < 2) return null;
  const data = samples.map(s => ({
    t: new Date(s.at).toLocaleTimeString(),
    lag: s.lag,
  }));
  return (
    <span aria-label="lag trend" role="img">
      <LineChart width={width} height={height} data={data}>
        <YAxis hide domain={[0, 'auto']} />
        <Tooltip
          formatter={(v: number) => [v.toLocaleString('en-US'), 'lag']}
          labelFormatter={(l: string) => l}
        />
        <Line
          type="monotone"
          dataKey="lag"
          dot={false}
          strokeWidth={2}
          isAnimationActive={false}
        />
      </LineChart>
    </span>
  );
}
