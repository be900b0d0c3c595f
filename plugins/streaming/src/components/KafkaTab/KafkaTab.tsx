import {
  EmptyState,
  InfoCard,
  Link,
  Progress,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  ConsumerGroupLag,
  DashboardLink,
  EntityKafkaResponse,
  PartitionLag,
  parseDashboardUrls,
  TopicDetails,
} from '@homelab/plugin-streaming-common';
import { useEntityKafka } from '../../hooks';
import { LagSummary } from '../LagSummaryCard/LagSummaryCard';
import {
  catchUpText,
  describeStateCounts,
  ErrorState,
  formatCount,
  formatDuration,
  formatMs,
  formatRate,
  LagStateChip,
  lagSecondsText,
  Sparkline,
  TrendIcon,
  Figure,
} from '../common';

type PartitionRow = PartitionLag & { topic: string; id: string };

const partitionColumns: TableColumn<PartitionRow>[] = [
  { title: 'Topic', field: 'topic' },
  { title: 'Partition', field: 'partition', type: 'numeric' },
  {
    title: 'Committed',
    render: r => formatCount(r.committedOffset),
    type: 'numeric',
  },
  {
    title: 'Log start',
    render: r => formatCount(r.logStartOffset),
    type: 'numeric',
  },
  {
    title: 'High watermark',
    render: r => formatCount(r.highWatermark),
    type: 'numeric',
  },
  {
    title: 'Lag',
    render: r => (r.lag === null ? '–' : formatCount(r.lag)),
    type: 'numeric',
    defaultSort: 'desc',
    customSort: (a, b) => (a.lag ?? -1) - (b.lag ?? -1),
  },
  {
    title: 'Lag (time)',
    render: r => formatDuration(r.lagSeconds),
    type: 'numeric',
  },
  { title: 'State', render: r => <LagStateChip state={r.state} /> },
  { title: 'Consumer', render: r => r.clientId ?? '–' },
];

function GroupCard({
  group,
  dashboardUrl,
}: {
  group: ConsumerGroupLag;
  dashboardUrl?: string;
}) {
  const title = `${group.group}`;
  const subheader = `cluster ${group.cluster} · ${group.state} · ${
    group.members.length
  } member${group.members.length === 1 ? '' : 's'}`;
  if (group.error) {
    return (
      <InfoCard title={title} subheader={`cluster ${group.cluster}`}>
        <WarningPanel
          severity="error"
          title="This consumer group could not be read"
          defaultExpanded
        >
          {group.error}
        </WarningPanel>
      </InfoCard>
    );
  }
  const rows: PartitionRow[] = group.topics.flatMap(t =>
    t.partitions.map(p => ({
      ...p,
      topic: t.topic,
      id: `${t.topic}:${p.partition}`,
    })),
  );
  const warnings = [
    ...describeStateCounts(group.stateCounts),
    ...group.topics.filter(t => t.error).map(t => t.error!),
  ];
  return (
    <InfoCard
      title={title}
      subheader={subheader}
      deepLink={
        dashboardUrl
          ? { title: `Open the ${group.group} dashboard`, link: dashboardUrl }
          : undefined
      }
    >
      <Box display="flex" flexWrap="wrap" alignItems="flex-end">
        <Figure label="Total lag" value={formatCount(group.totalLag)}>
          <TrendIcon trend={group.trend} />
        </Figure>
        <Figure label="Lag (time)" value={lagSecondsText(group.trend)} />
        <Figure label="Time to catch up" value={catchUpText(group.trend)} />
        <Figure
          label="Worst partition"
          value={
            group.worstPartition
              ? `${group.worstPartition.topic}[${group.worstPartition.partition}]`
              : '–'
          }
        />
        <Figure
          label="In / out"
          value={`${formatRate(
            group.trend?.produceRatePerSecond,
          )} / ${formatRate(group.trend?.consumeRatePerSecond)}`}
        />
        {group.trend && (
          <Sparkline samples={group.trend.samples} width={220} height={48} />
        )}
      </Box>
      {warnings.map(w => (
        <Typography key={w} variant="body2" color="error">
          {w}
        </Typography>
      ))}
      <Table<PartitionRow>
        title="Partitions"
        options={{
          paging: rows.length > 20,
          pageSize: 20,
          search: false,
          padding: 'dense',
        }}
        columns={partitionColumns}
        data={rows}
      />
    </InfoCard>
  );
}

const topicColumns: TableColumn<TopicDetails & { id: string }>[] = [
  {
    title: 'Topic',
    render: t => (t.error ? <span title={t.error}>{t.topic} ⚠</span> : t.topic),
  },
  { title: 'Cluster', field: 'cluster' },
  {
    title: 'Role',
    render: t => t.roles.map(r => <Chip key={r} size="small" label={r} />),
  },
  { title: 'Partitions', render: t => t.partitions.length, type: 'numeric' },
  { title: 'Replicas', field: 'replicationFactor', type: 'numeric' },
  { title: 'Records', render: t => formatCount(t.records), type: 'numeric' },
  { title: 'retention.ms', render: t => formatMs(t.config['retention.ms']) },
  { title: 'segment.ms', render: t => formatMs(t.config['segment.ms']) },
  { title: 'cleanup.policy', render: t => t.config['cleanup.policy'] ?? '–' },
];

/**
 * The entity's `kafka.apache.org/dashboard-urls` links (the community Kafka
 * plugin's format); a malformed annotation is reported, not fatal.
 */
function useDashboardLinks(): { links: DashboardLink[]; error?: string } {
  const { entity } = useEntity();
  return useMemo(() => {
    try {
      return { links: parseDashboardUrls(entity.metadata.annotations) };
    } catch (error) {
      return { links: [], error: (error as Error).message };
    }
  }, [entity]);
}

export function KafkaView({
  data,
  links = [],
  linksError,
}: {
  data: EntityKafkaResponse;
  links?: DashboardLink[];
  linksError?: string;
}) {
  if (!data.groups.length && !data.topics.length) {
    return (
      <EmptyState
        missing="field"
        title="No consumer groups or topics"
        description="Add kafka.apache.org/consumer-groups: <cluster>/<group> or streaming.homelab.dev/consumes-topics: <cluster>/<topic> to this entity's annotations."
      />
    );
  }
  const dashboards = new Map(data.clusters.map(c => [c.name, c.dashboardUrl]));
  // The entity's own group links win over the cluster's configured dashboard.
  const groupLink = (g: ConsumerGroupLag) =>
    links.find(l => l.cluster === g.cluster && l.group === g.group)?.url ??
    dashboards.get(g.cluster);
  const clusterLinks = [
    ...data.clusters
      .filter(c => c.dashboardUrl)
      .map(c => ({
        key: `config/${c.name}`,
        url: c.dashboardUrl!,
        text: `Open the ${c.name} cluster dashboard`,
      })),
    ...links
      .filter(
        l =>
          !l.group ||
          !data.groups.some(
            g => g.cluster === l.cluster && g.group === l.group,
          ),
      )
      .map(l => ({
        key: `${l.cluster}/${l.group ?? ''}/${l.url}`,
        url: l.url,
        text: `${l.cluster}${l.group ? ` / ${l.group}` : ''} dashboard`,
      })),
  ];
  const topicErrors = data.topics.filter(t => t.error);
  return (
    <Grid container spacing={3}>
      {data.groups.length > 1 && (
        <Grid item xs={12}>
          <InfoCard title="Summary">
            <LagSummary data={data} />
          </InfoCard>
        </Grid>
      )}
      {(clusterLinks.length > 0 || linksError) && (
        <Grid item xs={12} data-testid="kafka-dashboard-links">
          {clusterLinks.map(l => (
            <Link key={l.key} to={l.url} style={{ marginRight: 16 }}>
              {l.text}
            </Link>
          ))}
          {linksError && (
            <Typography variant="body2" color="error">
              {linksError}
            </Typography>
          )}
        </Grid>
      )}
      {data.groups.map(g => (
        <Grid item xs={12} key={`${g.cluster}/${g.group}`}>
          <GroupCard group={g} dashboardUrl={groupLink(g)} />
        </Grid>
      ))}
      {data.topics.length > 0 && (
        <Grid item xs={12}>
          {topicErrors.map(t => (
            <Typography key={t.topic} variant="body2" color="error">
              {t.error}
            </Typography>
          ))}
          <Table
            title="Topics"
            options={{ paging: false, search: false, padding: 'dense' }}
            columns={topicColumns}
            data={data.topics.map(t => ({
              ...t,
              id: `${t.cluster}/${t.topic}`,
            }))}
          />
        </Grid>
      )}
    </Grid>
  );
}

/** The entity's "Kafka" tab. */
export function KafkaTab({
  refreshIntervalMs,
}: {
  refreshIntervalMs?: number;
}) {
  const { value, loading, error } = useEntityKafka(refreshIntervalMs);
  const { links, error: linksError } = useDashboardLinks();
  if (loading) return <Progress />;
  return (
    <>
      {error && <ErrorState error={error} what="Kafka" />}
      {value && (
        <KafkaView data={value} links={links} linksError={linksError} />
      )}
    </>
  );
}
