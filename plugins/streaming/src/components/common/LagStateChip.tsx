import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import type { LagState } from '@homelab/plugin-streaming-common';

const LABELS: Record<
  LagState,
  { label: string; help: string; color: 'default' | 'primary' | 'secondary' }
> = {
  ok: {
    label: 'ok',
    help: 'Committed offset within the log',
    color: 'default',
  },
  'no-committed-offset': {
    label: 'no committed offset',
    help: 'The group never committed on this partition: it will start where auto.offset.reset says',
    color: 'primary',
  },
  'below-log-start': {
    label: 'below log start',
    help: 'The committed offset was deleted by retention: records were lost before the group read them',
    color: 'secondary',
  },
  negative: {
    label: 'negative lag',
    help: 'The committed offset is past the end of the log (topic recreated or offsets reset by hand)',
    color: 'secondary',
  },
};

export function LagStateChip({ state }: { state: LagState }) {
  const { label, help, color } = LABELS[state];
  return (
    <Tooltip title={help}>
      <Chip
        size="small"
        label={label}
        color={color}
        variant={state === 'ok' ? 'outlined' : 'default'}
      />
    </Tooltip>
  );
}

export function describeStateCounts(
  counts: Partial<Record<LagState, number>>,
): string[] {
  const out: string[] = [];
  const plural = (n: number) => (n === 1 ? 'partition has' : 'partitions have');
  if (counts['below-log-start']) {
    out.push(
      `${counts['below-log-start']} ${plural(
        counts['below-log-start'],
      )} a committed offset below the log start: records were lost to retention`,
    );
  }
  if (counts.negative)
    out.push(`${counts.negative} ${plural(counts.negative)} negative lag`);
  if (counts['no-committed-offset']) {
    out.push(
      `${counts['no-committed-offset']} ${plural(
        counts['no-committed-offset'],
      )} no committed offset`,
    );
  }
  return out;
}
