import { useEffect, useState } from 'react';
import {
  EmptyState,
  InfoCard,
  Progress,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type {
  DeadLetter,
  DeadLetterCounts,
  DeadLettersResponse,
} from '@homelab/plugin-streaming-common';
import { streamingApiRef } from '../../api';
import {
  CHART_COLORS,
  ErrorState,
  Figure,
  formatAge,
  formatBytes,
  formatCount,
  usePolling,
} from '../common';

/** Reading the counts scans up to a few thousand letters; the backend caches them for 10 s. */
const REFRESH_MS = 30_000;
const PAGE_SIZE = 50;

/** Where the refused message came from: a Kafka position (sink) or an MQTT topic (bridge). */
export function sourceText(l: DeadLetter): string {
  const { topic, partition, offset, mqttTopic } = l.source;
  const kafka = topic
    ? `${topic}${partition !== undefined ? `[${partition}]` : ''}${
        offset !== undefined ? `@${offset}` : ''
      }`
    : undefined;
  return (
    [kafka, mqttTopic ? `MQTT ${mqttTopic}` : undefined]
      .filter(Boolean)
      .join(' · ') || '–'
  );
}

const columns: TableColumn<DeadLetter & { id: string }>[] = [
  {
    title: 'Time',
    render: l => (
      <span title={new Date(l.time).toLocaleString()}>{formatAge(l.time)}</span>
    ),
  },
  { title: 'Class', render: l => <Chip size="small" label={l.errorClass} /> },
  { title: 'Reason', field: 'reason' },
  { title: 'Source', render: l => sourceText(l) },
  { title: 'Device', render: l => l.device ?? '–' },
  {
    title: 'Service',
    render: l => `${l.service ?? '–'}${l.attempts ? ` (${l.attempts}×)` : ''}`,
  },
  {
    title: 'Payload',
    render: l => (
      // Text only: the backend escaped control characters, and React escapes markup.
      <Box data-testid={`dlq-payload-${l.partition}-${l.offset}`}>
        <Typography
          variant="body2"
          component="code"
          style={{ fontFamily: 'monospace', wordBreak: 'break-all' }}
        >
          {l.payload.preview}
          {l.payload.truncated ? '…' : ''}
        </Typography>
        <Typography variant="caption" color="textSecondary" display="block">
          {l.payload.truncated
            ? `first part of ${formatBytes(l.payload.bytes)}`
            : formatBytes(l.payload.bytes)}
        </Typography>
      </Box>
    ),
  },
  { title: 'Letter', render: l => `${l.partition}@${l.offset}` },
];

function CountsCard({
  counts,
  held,
}: {
  counts: DeadLetterCounts;
  held: number;
}) {
  const classes = Object.keys(counts.byClass).sort(
    (a, b) => counts.byClass[b] - counts.byClass[a],
  );
  const data = counts.hourly.map(h => ({
    t: new Date(h.bucket).toLocaleString([], {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }),
    ...h.counts,
  }));
  return (
    <InfoCard
      title="Dead letters by reason class"
      subheader={
        counts.capped
          ? `the newest ${formatCount(counts.scanned)} letters`
          : 'every letter the topic holds'
      }
    >
      <Box
        display="flex"
        flexWrap="wrap"
        alignItems="flex-end"
        data-testid="dlq-counts"
      >
        <Figure label="Held by the topic" value={formatCount(held)} />
        {classes.map(c => (
          <Figure key={c} label={c} value={formatCount(counts.byClass[c])} />
        ))}
      </Box>
      {data.length > 0 && (
        <Box height={200}>
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="t" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              {classes.map((c, i) => (
                <Bar
                  key={c}
                  dataKey={c}
                  stackId="letters"
                  fill={CHART_COLORS[i % CHART_COLORS.length]}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </Box>
      )}
    </InfoCard>
  );
}

/** The first page refreshes; older pages, once loaded, stay as they are (letters do not change). */
function useDeadLetters(topic: string | undefined) {
  const api = useApi(streamingApiRef);
  const { entity } = useEntity();
  const ref = getCompoundEntityRef(entity);
  const first = usePolling(
    () => api.getDeadLetters(ref, { topic, limit: PAGE_SIZE }),
    [api, ref.kind, ref.namespace, ref.name, topic],
    REFRESH_MS,
  );
  const [older, setOlder] = useState<{
    letters: DeadLetter[];
    next?: string;
    error?: Error;
    loading: boolean;
  }>({ letters: [], loading: false });
  useEffect(() => setOlder({ letters: [], loading: false }), [topic]);
  const next = older.letters.length ? older.next : first.value?.next;
  const loadOlder = async () => {
    if (!next) return;
    setOlder(o => ({ ...o, loading: true }));
    try {
      const page = await api.getDeadLetters(ref, {
        topic,
        before: next,
        limit: PAGE_SIZE,
      });
      setOlder(o => ({
        letters: [...o.letters, ...page.letters],
        next: page.next,
        loading: false,
      }));
    } catch (error) {
      setOlder(o => ({ ...o, loading: false, error: error as Error }));
    }
  };
  return { first, older, next, loadOlder };
}

export function DeadLettersView({
  data,
  older,
  hasOlder,
  loadingOlder,
  onOlder,
  onTopic,
}: {
  data: DeadLettersResponse;
  older: DeadLetter[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onOlder: () => void;
  onTopic: (topic: string) => void;
}) {
  const letters = [...data.letters, ...older];
  return (
    <Grid container spacing={3}>
      {data.topics.length > 1 && (
        <Grid item xs={12}>
          <TextField
            select
            size="small"
            label="Topic"
            value={`${data.cluster}/${data.topic}`}
            onChange={e => onTopic(String(e.target.value))}
          >
            {data.topics.map(t => (
              <MenuItem key={t} value={t}>
                {t}
              </MenuItem>
            ))}
          </TextField>
        </Grid>
      )}
      {data.partial && (
        <Grid item xs={12}>
          <WarningPanel severity="warning" title={data.partial} />
        </Grid>
      )}
      {data.counts && (
        <Grid item xs={12}>
          <CountsCard counts={data.counts} held={data.held} />
        </Grid>
      )}
      <Grid item xs={12}>
        {letters.length ? (
          <Table
            title={`Recent letters on ${data.cluster}/${data.topic}`}
            options={{ paging: false, search: false, padding: 'dense' }}
            columns={columns}
            data={letters.map(l => ({
              ...l,
              id: `${l.partition}@${l.offset}`,
            }))}
          />
        ) : (
          <EmptyState
            missing="data"
            title="No dead letters"
            description={`${data.cluster}/${data.topic} holds no letters: nothing was refused within its retention.`}
          />
        )}
        {hasOlder && (
          <Box mt={1}>
            <Button
              variant="outlined"
              size="small"
              onClick={onOlder}
              disabled={loadingOlder}
              data-testid="dlq-older"
            >
              {loadingOlder ? 'Loading…' : 'Older letters'}
            </Button>
          </Box>
        )}
      </Grid>
    </Grid>
  );
}

/** The entity's "Dead letters" tab: read-only, needs streaming.dlq.read. */
export function DeadLettersTab() {
  const [topic, setTopic] = useState<string | undefined>();
  const { first, older, next, loadOlder } = useDeadLetters(topic);
  if (first.loading) return <Progress />;
  return (
    <>
      {first.error && <ErrorState error={first.error} what="dead letters" />}
      {older.error && (
        <ErrorState error={older.error} what="older dead letters" />
      )}
      {first.value && (
        <DeadLettersView
          data={first.value}
          older={older.letters}
          hasOlder={Boolean(next)}
          loadingOlder={older.loading}
          onOlder={loadOlder}
          onTopic={setTopic}
        />
      )}
    </>
  );
}
