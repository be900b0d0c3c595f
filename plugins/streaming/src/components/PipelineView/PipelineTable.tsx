import {
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import type {
  PipelineFigure,
  PipelineLatency,
  PipelineStage,
} from '@homelab/plugin-streaming-common';
import { formatCount, formatDuration, formatRate } from '../common';

export function formatLatency(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 0.01) return `${(seconds * 1000).toFixed(1)} ms`;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/**
 * Figures, health words and headings stay on one line: the table's auto
 * layout gives the Stage column's notes the spare width and otherwise breaks
 * "ready" and "21/s" mid-word.
 */
const NOWRAP = { whiteSpace: 'nowrap' } as const;

/** "unknown" with its reason beside it: an unmeasured figure must never read as 0. */
function Unknown({ reason }: { reason?: string }) {
  return (
    <>
      <Typography variant="body2" color="textSecondary">
        unknown
      </Typography>
      {reason && (
        <Typography variant="caption" color="textSecondary" component="div">
          {reason}
        </Typography>
      )}
    </>
  );
}

function FigureCell({
  figure,
  format,
}: {
  figure?: PipelineFigure;
  format: (v: number) => string;
}) {
  if (!figure)
    return (
      <TableCell align="right">
        <Tooltip title="does not apply to this stage">
          <span>—</span>
        </Tooltip>
      </TableCell>
    );
  return (
    <TableCell align="right">
      {figure.value === null ? (
        <Unknown reason={figure.reason} />
      ) : (
        <Tooltip title={figure.source ?? ''}>
          <span style={NOWRAP}>{format(figure.value)}</span>
        </Tooltip>
      )}
    </TableCell>
  );
}

function LatencyCells({ latency }: { latency?: PipelineLatency }) {
  if (!latency)
    return (
      <>
        <TableCell align="right">—</TableCell>
        <TableCell align="right">—</TableCell>
      </>
    );
  if (latency.p50 === null || latency.p99 === null)
    return (
      <TableCell align="right" colSpan={2}>
        <Unknown reason={latency.reason} />
      </TableCell>
    );
  return (
    <>
      <TableCell align="right">
        <Tooltip title={latency.between}>
          <span style={NOWRAP}>{formatLatency(latency.p50)}</span>
        </Tooltip>
      </TableCell>
      <TableCell align="right">
        <Tooltip title={latency.between}>
          <span style={NOWRAP}>{formatLatency(latency.p99)}</span>
        </Tooltip>
      </TableCell>
    </>
  );
}

const STATUS = {
  ready: StatusOK,
  'not-ready': StatusError,
  unknown: StatusPending,
};

export function Health({ health }: { health: PipelineStage['health'] }) {
  const Status = STATUS[health.status];
  return (
    <>
      <span style={NOWRAP}>
        <Status>{health.status}</Status>
      </span>
      {health.reason && (
        <Typography variant="caption" color="textSecondary" component="div">
          {health.reason}
        </Typography>
      )}
    </>
  );
}

const dlq = (figure?: PipelineFigure) => (v: number) =>
  figure?.windowSeconds !== undefined && figure.windowSeconds < 3500
    ? `${formatCount(v)} (last ${formatDuration(figure.windowSeconds)})`
    : formatCount(v);

/** The latency budget per stage as live figures: one row per stage, each figure with its source on hover. */
export function PipelineTable({ stages }: { stages: PipelineStage[] }) {
  return (
    <Table size="small" aria-label="pipeline stages">
      <TableHead>
        <TableRow style={NOWRAP}>
          <TableCell>Stage</TableCell>
          <TableCell>Health</TableCell>
          <TableCell align="right">In</TableCell>
          <TableCell align="right">Out</TableCell>
          <TableCell align="right">Lag / backlog</TableCell>
          <TableCell align="right">Freshness</TableCell>
          <TableCell align="right">DLQ (1 h)</TableCell>
          <TableCell align="right">p50</TableCell>
          <TableCell align="right">p99</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {stages.map(stage => (
          <TableRow key={stage.id} data-stage={stage.id}>
            <TableCell>
              <Typography variant="body2">{stage.title}</Typography>
              {stage.note && (
                <Typography variant="caption" color="textSecondary">
                  {stage.note}
                </Typography>
              )}
            </TableCell>
            <TableCell>
              <Health health={stage.health} />
            </TableCell>
            <FigureCell figure={stage.rateIn} format={formatRate} />
            <FigureCell figure={stage.rateOut} format={formatRate} />
            <FigureCell figure={stage.backlog} format={formatCount} />
            <FigureCell
              figure={stage.freshnessSeconds}
              format={v => `${formatDuration(v)} ago`}
            />
            <FigureCell
              figure={stage.deadLetters}
              format={dlq(stage.deadLetters)}
            />
            <LatencyCells latency={stage.latency} />
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
