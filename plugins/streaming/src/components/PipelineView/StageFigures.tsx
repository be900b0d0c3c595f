import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type {
  PipelineFigure,
  PipelineStage,
} from '@homelab/plugin-streaming-common';
import { Figure, formatCount, formatDuration, formatRate } from '../common';
import { formatLatency, Health } from './PipelineTable';

/** A figure's text, "unknown" with the reason as its detail, or absent when it does not apply. */
function shown(
  label: string,
  figure: PipelineFigure | undefined,
  format: (v: number) => string,
) {
  if (!figure) return null;
  return figure.value === null ? (
    <Figure label={label} value="unknown" detail={figure.reason} />
  ) : (
    <Figure label={label} value={format(figure.value)} detail={figure.source} />
  );
}

/** One stage as a card's headline figures: the card is too narrow for the table's nine columns. */
export function StageFigures({ stage }: { stage: PipelineStage }) {
  const { latency } = stage;
  return (
    <Box mb={2} data-stage={stage.id}>
      <Typography variant="subtitle2">{stage.title}</Typography>
      <Health health={stage.health} />
      <Box display="flex" flexWrap="wrap" mt={1}>
        {shown('in', stage.rateIn, formatRate)}
        {shown('out', stage.rateOut, formatRate)}
        {shown('lag / backlog', stage.backlog, formatCount)}
        {shown(
          'freshness',
          stage.freshnessSeconds,
          v => `${formatDuration(v)} ago`,
        )}
        {shown('dead letters (1 h)', stage.deadLetters, formatCount)}
        {latency &&
          (latency.p50 === null || latency.p99 === null ? (
            <Figure label="latency" value="unknown" detail={latency.reason} />
          ) : (
            <Figure
              label="latency p50 / p99"
              value={`${formatLatency(latency.p50)} / ${formatLatency(
                latency.p99,
              )}`}
              detail={latency.between}
            />
          ))}
      </Box>
    </Box>
  );
}
