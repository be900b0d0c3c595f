import {
  EmptyState,
  InfoCard,
  Progress,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import type {
  ContinuousAggregateInfo,
  EntityTimescaleResponse,
  HypertableStats,
  JobInfo,
  RowCount,
} from '@homelab/plugin-streaming-common';
import { useEntityTimescale } from '../../hooks';
import {
  ErrorState,
  Figure,
  formatAge,
  formatBytes,
  formatCount,
  formatRate,
} from '../common';
import { HistoryChart } from './HistoryChart';

const jobColumns: TableColumn<JobInfo & { id: number }>[] = [
  { title: 'Job', render: j => `${j.application}` },
  { title: 'On', field: 'target' },
  { title: 'Every', render: j => j.scheduleInterval ?? '–' },
  {
    title: 'Last run',
    render: j => (j.lastRunStartedAt ? formatAge(j.lastRunStartedAt) : 'never'),
  },
  {
    title: 'Status',
    render: j => j.lastRunStatus ?? (j.scheduled ? 'scheduled' : 'paused'),
  },
  {
    title: 'Next',
    render: j => (j.nextStart ? new Date(j.nextStart).toLocaleString() : '–'),
  },
  {
    title: 'Failures',
    render: j => `${j.totalFailures ?? 0} / ${j.totalRuns ?? 0}`,
  },
  {
    title: 'Last error',
    render: j =>
      j.lastError ? (
        <Typography
          variant="body2"
          color={j.lastRunStatus === 'Failed' ? 'error' : 'textSecondary'}
        >
          {j.lastError.message}
          {j.lastError.at ? ` (${formatAge(j.lastError.at)})` : ''}
        </Typography>
      ) : (
        '–'
      ),
  },
];

/** "Rows" with how the figure was obtained, so an estimate is never mistaken for a count. */
export function rowsFigure(
  rows: RowCount | undefined,
  estimate: number | null | undefined,
) {
  if (!rows) return { label: 'Rows (estimate)', value: formatCount(estimate) };
  if (rows.kind === 'exact')
    return { label: 'Rows (exact)', value: formatCount(rows.count) };
  if (rows.kind === 'at-least')
    return { label: 'Rows (at least)', value: `≥ ${formatCount(rows.count)}` };
  return { label: 'Rows (estimate)', value: `≈ ${formatCount(rows.count)}` };
}

/** One line per aggregate: how far it is materialised and how much is only computed at query time. */
export function aggregateText(a: ContinuousAggregateInfo): string {
  const state =
    a.materialized === false
      ? 'not materialised yet'
      : `materialised up to ${
          a.watermark ? new Date(a.watermark).toLocaleString() : 'unknown'
        }`;
  const pending = a.pendingRows
    ? `${a.pendingRows.kind === 'at-least' ? 'at least ' : ''}${formatCount(
        a.pendingRows.count,
      )} rows${
        a.pendingSince
          ? ` since ${new Date(a.pendingSince).toLocaleString()}`
          : ''
      }`
    : undefined;
  if (a.materializedOnly) {
    return `${a.name}: ${state} (materialised only${
      pending ? `; ${pending} not in it yet` : ''
    })`;
  }
  return `${a.name}: ${state} (real-time${
    pending ? `; ${pending} computed at query time only` : ''
  })`;
}

function compressionText(t: HypertableStats): {
  value: string;
  detail?: string;
} {
  const c = t.compression;
  if (!c) return { value: '–' };
  if (!c.enabled) return { value: 'off' };
  return {
    value: c.ratio ? `${c.ratio.toFixed(1)}×` : 'on',
    detail: `${c.compressedChunks} of ${c.totalChunks} chunks compressed`,
  };
}

export function HypertableCard({ table }: { table: HypertableStats }) {
  const title = `${table.database}/${table.table}`;
  if (table.error) {
    return (
      <InfoCard title={title}>
        <WarningPanel
          severity="error"
          title="This table could not be read"
          defaultExpanded
        >
          {table.error}
        </WarningPanel>
      </InfoCard>
    );
  }
  const compression = compressionText(table);
  const size = table.sizes;
  return (
    <InfoCard
      title={title}
      subheader={table.timescale ? 'hypertable' : 'table'}
    >
      {table.note && (
        <Box mb={2}>
          <WarningPanel severity="info" title={table.note} />
        </Box>
      )}
      <Box display="flex" flexWrap="wrap">
        <Figure
          label="Size"
          value={formatBytes(size?.totalBytes)}
          detail={
            size
              ? `table ${formatBytes(size.tableBytes)} · index ${formatBytes(
                  size.indexBytes,
                )} · toast ${formatBytes(size.toastBytes)}`
              : undefined
          }
        />
        <Figure {...rowsFigure(table.rows, table.rowEstimate)} />
        {table.chunks && (
          <Figure
            label="Chunks"
            value={formatCount(table.chunks.count)}
            detail={
              table.chunks.rangeStart
                ? `${new Date(
                    table.chunks.rangeStart,
                  ).toLocaleDateString()} – ${new Date(
                    table.chunks.rangeEnd!,
                  ).toLocaleDateString()}`
                : undefined
            }
          />
        )}
        {table.timescale && (
          <Figure
            label="Compression"
            value={compression.value}
            detail={compression.detail}
          />
        )}
        {table.writeConflicts && (
          <Figure
            label="Write conflicts"
            value={formatCount(table.writeConflicts.conflicts)}
            detail={`${formatCount(table.writeConflicts.replays)} replays${
              table.writeConflicts.lastConflictAt
                ? ` · last conflict ${formatAge(
                    table.writeConflicts.lastConflictAt,
                  )}`
                : ''
            }`}
          />
        )}
        <Figure
          label="Newest row"
          value={formatAge(table.freshness?.newestTs)}
          detail={
            table.freshness?.newestTs
              ? new Date(table.freshness.newestTs).toLocaleString()
              : undefined
          }
        />
        <Figure
          label="Ingest (last hour)"
          value={formatRate(table.ingest?.ratePerSecond)}
          detail={
            table.ingest
              ? `${formatCount(table.ingest.rowsLastHour)} rows`
              : undefined
          }
        />
      </Box>
      {table.continuousAggregates && table.continuousAggregates.length > 0 && (
        <Box mt={1}>
          <Typography variant="subtitle2">Continuous aggregates</Typography>
          {table.continuousAggregates.map(a => (
            <Typography key={a.name} variant="body2">
              {aggregateText(a)}
            </Typography>
          ))}
        </Box>
      )}
      {table.freshness && table.freshness.perDevice.length > 0 && (
        <Box mt={1}>
          <Typography variant="subtitle2">Newest row per device</Typography>
          <Typography variant="body2">
            {table.freshness.perDevice
              .map(d => `${d.deviceId}: ${formatAge(d.newestTs)}`)
              .join(' · ')}
          </Typography>
        </Box>
      )}
      {table.jobs && table.jobs.length > 0 && (
        <Box mt={2}>
          <Table
            title="Jobs"
            options={{ paging: false, search: false, padding: 'dense' }}
            columns={jobColumns}
            data={table.jobs.map(j => ({ ...j, id: j.jobId }))}
          />
        </Box>
      )}
      <Box mt={2}>
        <HistoryChart table={`${table.database}/${table.table}`} />
      </Box>
    </InfoCard>
  );
}

export function TimescaleView({ data }: { data: EntityTimescaleResponse }) {
  if (!data.tables.length) {
    return (
      <EmptyState
        missing="field"
        title="No hypertables"
        description="Add streaming.homelab.dev/hypertables: <database>/<table> to this entity's annotations."
      />
    );
  }
  return (
    <Grid container spacing={3}>
      {data.tables.map(t => (
        <Grid
          item
          xs={12}
          key={`${t.database}/${t.table}`}
          data-testid={`hypertable-${t.table}`}
        >
          <HypertableCard table={t} />
        </Grid>
      ))}
    </Grid>
  );
}

/** The entity's "TimescaleDB" tab. */
export function TimescaleTab({
  refreshIntervalMs,
}: {
  refreshIntervalMs?: number;
}) {
  const { value, loading, error } = useEntityTimescale(refreshIntervalMs);
  if (loading) return <Progress />;
  return (
    <>
      {error && <ErrorState error={error} what="TimescaleDB" />}
      {value && <TimescaleView data={value} />}
    </>
  );
}
