import { useMemo, useState } from 'react';
import { InfoCard, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  ANNOTATION_LIVE_STREAMS,
  LIVE_WINDOWS_MINUTES,
  LiveStreamRef,
  parseLiveStreams,
  StreamName,
} from '@homelab/plugin-streaming-common';
import {
  LiveView as LiveData,
  streamingLiveApiRef,
  useLiveStream,
  UseLiveStreamOptions,
} from '../../live';
import { ConnectionIndicator } from '../ConnectionIndicator';
import { LatestValuesTable } from '../LatestValuesTable';
import {
  defaultFields,
  fieldInfo,
  LiveChart,
  STREAM_TITLES,
} from '../LiveChart';

const ALL_DEVICES = '__all__';

export interface LiveTabProps {
  /** Initial chart window in minutes (5, 15 or 60). */
  windowMinutes?: number;
  /** For tests: connection timing. */
  connection?: UseLiveStreamOptions['connection'];
}

function useRefs(annotations: Record<string, string> | undefined): {
  refs: LiveStreamRef[];
  error?: Error;
} {
  return useMemo(() => {
    try {
      return { refs: parseLiveStreams(annotations) };
    } catch (error) {
      return { refs: [], error: error as Error };
    }
  }, [annotations]);
}

/** The Live tab: energy-ws records for the entity's live streams, backfilled from TimescaleDB. */
export function LiveTab(props: LiveTabProps) {
  const { entity } = useEntity();
  const { refs, error } = useRefs(entity.metadata.annotations);
  if (error || !refs.length) {
    return (
      <WarningPanel
        severity="error"
        title="The entity's live-streams annotation cannot be used"
        defaultExpanded
      >
        <Typography variant="body2">
          {error?.message ??
            `Add ${ANNOTATION_LIVE_STREAMS}: <stream>[:<device>],… to catalog-info.yaml.`}
        </Typography>
      </WarningPanel>
    );
  }
  return <LiveView refs={refs} {...props} />;
}

function LiveView({
  refs,
  windowMinutes: initialWindow = 15,
  connection,
}: LiveTabProps & { refs: LiveStreamRef[] }) {
  const api = useApi(streamingLiveApiRef);
  const { entity } = useEntity();
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  const [windowMinutes, setWindowMinutes] = useState(initialWindow);
  const [paused, setPaused] = useState(false);
  const [device, setDevice] = useState<string | undefined>();
  const { state, view, historyError, retry } = useLiveStream({
    api,
    entity: entityRef,
    refs,
    device,
    windowMinutes,
    paused,
    connection,
  });

  const devices = useMemo(
    () =>
      [
        ...new Set([
          ...refs.flatMap(r => (r.device ? [r.device] : [])),
          ...view.latest.map(l => l.deviceId),
        ]),
      ].sort(),
    [refs, view.latest],
  );
  const streams = useMemo(() => [...new Set(refs.map(r => r.stream))], [refs]);
  const counts = view.series
    .map(s => `${s.deviceId}:${s.points.length}`)
    .join(',');
  const newest = Math.max(
    0,
    ...view.series.map(s => s.points[s.points.length - 1]?.t ?? 0),
  );

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard
          title={`Live: ${[...new Set(refs.map(r => r.stream))].join(', ')}`}
        >
          <Box
            display="flex"
            alignItems="center"
            flexWrap="wrap"
            mb={2}
            style={{ gap: 16 }}
          >
            <ConnectionIndicator state={state} onRetry={retry} />
            <Box flexGrow={1} />
            <TextField
              select
              size="small"
              label="Window"
              value={windowMinutes}
              onChange={e => setWindowMinutes(Number(e.target.value))}
              style={{ minWidth: 100 }}
              inputProps={{ 'data-testid': 'live-window' }}
            >
              {LIVE_WINDOWS_MINUTES.map(m => (
                <MenuItem key={m} value={m}>{`${m} min`}</MenuItem>
              ))}
            </TextField>
            <TextField
              select
              size="small"
              label="Device"
              value={device ?? ALL_DEVICES}
              onChange={e =>
                setDevice(
                  e.target.value === ALL_DEVICES
                    ? undefined
                    : String(e.target.value),
                )
              }
              style={{ minWidth: 140 }}
            >
              <MenuItem value={ALL_DEVICES}>all devices</MenuItem>
              {devices.map(d => (
                <MenuItem key={d} value={d}>
                  {d}
                </MenuItem>
              ))}
            </TextField>
            <Button
              variant="outlined"
              size="small"
              onClick={() => setPaused(p => !p)}
              data-testid="live-pause"
            >
              {paused ? 'Resume' : 'Pause'}
            </Button>
          </Box>
          {paused && (
            <Typography
              variant="body2"
              color="textSecondary"
              data-testid="live-paused"
            >
              Paused: data keeps arriving and shows when you resume.
            </Typography>
          )}
          {historyError && (
            <Typography
              variant="body2"
              color="textSecondary"
              data-testid="live-history-error"
            >
              {`History could not be loaded, so the chart starts with live data: ${
                (historyError as { body?: { error?: { message?: string } } })
                  .body?.error?.message ?? historyError.message
              }`}
            </Typography>
          )}
          {/* Points held per device over all streams, so a browser test can check that a reconnect left no gap. */}
          <Box
            data-testid="live-chart"
            data-points={counts}
            data-newest={newest ? new Date(newest).toISOString() : ''}
          >
            {streams.map(stream => (
              <StreamChart
                key={stream}
                stream={stream}
                view={view}
                windowMinutes={windowMinutes}
              />
            ))}
          </Box>
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Latest values">
          <LatestValuesTable latest={view.latest} />
        </InfoCard>
      </Grid>
    </Grid>
  );
}

/** Field names the stream's devices sent, from their latest readings. */
function streamFields(stream: StreamName, view: LiveData): string[] {
  const names = new Set<string>();
  for (const l of view.latest)
    if (l.stream === stream)
      for (const f of Object.keys(l.fields)) names.add(f);
  return [...names].sort();
}

/** One stream's chart with its own field choice, defaulting to the stream's headline fields. */
function StreamChart({
  stream,
  view,
  windowMinutes,
}: {
  stream: StreamName;
  view: LiveData;
  windowMinutes: number;
}) {
  const [chosen, setChosen] = useState<string[] | undefined>();
  const available = useMemo(() => streamFields(stream, view), [stream, view]);
  const picked = chosen?.filter(f => available.includes(f)) ?? [];
  const fields = picked.length ? picked : defaultFields(stream, available);
  return (
    <Box mt={2} data-testid={`live-stream-${stream}`}>
      <Box display="flex" alignItems="center" style={{ gap: 16 }}>
        <Typography variant="subtitle1">{STREAM_TITLES[stream]}</Typography>
        <Box flexGrow={1} />
        <TextField
          select
          size="small"
          label="Fields"
          value={fields}
          SelectProps={{
            multiple: true,
            renderValue: v =>
              (v as string[]).map(f => fieldInfo(stream, f).label).join(', '),
          }}
          onChange={e => setChosen(e.target.value as unknown as string[])}
          style={{ minWidth: 200 }}
          disabled={!available.length}
          inputProps={{ 'data-testid': `live-fields-${stream}` }}
        >
          {available.map(f => {
            const { label, unit } = fieldInfo(stream, f);
            return (
              <MenuItem key={f} value={f}>
                {unit ? `${label} (${unit})` : label}
              </MenuItem>
            );
          })}
        </TextField>
      </Box>
      {available.length ? (
        <LiveChart
          stream={stream}
          series={view.series}
          fields={fields}
          windowMinutes={windowMinutes}
          at={view.at}
        />
      ) : (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid={`live-empty-${stream}`}
        >
          No {STREAM_TITLES[stream].toLowerCase()} readings in the window yet.
        </Typography>
      )}
    </Box>
  );
}
