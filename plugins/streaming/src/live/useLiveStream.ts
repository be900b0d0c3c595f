import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import type {
  DataMessage,
  LiveStreamRef,
  StreamName,
} from '@homelab/plugin-streaming-common';
import {
  LiveConnection,
  LiveConnectionOptions,
  LiveConnectionState,
} from './LiveConnection';
import { DeviceLatest, DeviceSeries, LiveStore } from './LiveStore';
import { frameThrottle } from './frameThrottle';
import type { StreamingLiveApi } from './StreamingLiveApi';

/** The longest chart window; older points are pruned. */
const MAX_WINDOW_MS = 60 * 60_000;

export interface LiveView {
  latest: DeviceLatest[];
  series: DeviceSeries[];
  fields: string[];
  /** When this view was taken; the chart's right edge. */
  at: number;
}

export interface UseLiveStreamOptions {
  api: StreamingLiveApi;
  entity: CompoundEntityRef;
  refs: LiveStreamRef[];
  /** The user's device choice; undefined = everything the annotation allows. */
  device?: string;
  windowMinutes: number;
  paused: boolean;
  /** For tests: faster backoff, shorter timeouts. */
  connection?: Partial<
    Pick<
      LiveConnectionOptions,
      | 'backoff'
      | 'pingIntervalMs'
      | 'openTimeoutMs'
      | 'errorAfterAttempts'
      | 'createSocket'
    >
  >;
}

/** What to subscribe to, and which records to keep, for an annotation like `energy,heatpump:hp1`. */
export function subscriptionFor(refs: LiveStreamRef[], device?: string) {
  const streams = [...new Set(refs.map(r => r.stream))] as StreamName[];
  const allowed = new Map<StreamName, Set<string> | undefined>();
  for (const stream of streams) {
    const own = refs.filter(r => r.stream === stream);
    allowed.set(
      stream,
      own.some(r => !r.device) ? undefined : new Set(own.map(r => r.device!)),
    );
  }
  // energy-ws filters devices across all streams of a subscribe, so it can
  // only filter when every stream is limited; otherwise the tab filters.
  const everyLimited = [...allowed.values()].every(Boolean);
  let devices: string[] | undefined;
  if (device) devices = [device];
  else if (everyLimited)
    devices = [...new Set([...allowed.values()].flatMap(s => [...s!]))];
  const accepts = (m: DataMessage) => {
    if (device) return m.device_id === device;
    const set = allowed.get(m.stream);
    return !set || (m.device_id !== undefined && set.has(m.device_id));
  };
  return { streams, devices, accepts };
}

/**
 * Connects the Live tab to energy-ws and keeps its view: the backfill from
 * TimescaleDB, then live records, rendered at most once per animation frame.
 */
export function useLiveStream(options: UseLiveStreamOptions) {
  const { api, entity, refs, device, windowMinutes, paused } = options;
  const entityKey = `${entity.kind}:${entity.namespace}/${entity.name}`;
  const refsKey = refs.map(r => `${r.stream}:${r.device ?? ''}`).join(',');
  const [state, setState] = useState<LiveConnectionState>({
    status: 'connecting',
    attempt: 0,
  });
  const [view, setView] = useState<LiveView>({
    latest: [],
    series: [],
    fields: [],
    at: Date.now(),
  });
  const [historyError, setHistoryError] = useState<Error | undefined>();
  const storeRef = useRef(new LiveStore());
  const connectionRef = useRef<LiveConnection | undefined>();
  const pausedRef = useRef(paused);
  const windowRef = useRef(windowMinutes);
  pausedRef.current = paused;
  windowRef.current = windowMinutes;

  const throttle = useMemo(
    () =>
      frameThrottle(() => {
        if (pausedRef.current) return;
        const store = storeRef.current;
        const now = Date.now();
        store.prune(now - MAX_WINDOW_MS);
        setView({
          latest: store.latestValues(),
          series: store.allSeries(now - windowRef.current * 60_000),
          fields: store.fieldNames(),
          at: now,
        });
      }),
    [],
  );

  // Connection: one per entity, annotation and device choice.
  useEffect(() => {
    const store = new LiveStore();
    storeRef.current = store;
    const { streams, devices, accepts } = subscriptionFor(refs, device);
    const connection = new LiveConnection({
      ...options.connection,
      fetchToken: () => api.getLiveToken(entity),
      streams,
      devices,
      onData: message => {
        if (!accepts(message)) return;
        store.addLive(message);
        throttle.schedule();
      },
      onState: setState,
    });
    connectionRef.current = connection;
    connection.start();
    throttle.schedule();
    return () => {
      connection.stop();
      throttle.cancel();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, entityKey, refsKey, device, throttle]);

  // Backfill: again when the window grows, so 60 minutes are not 5 plus live.
  useEffect(() => {
    let cancelled = false;
    const store = storeRef.current;
    const { streams, accepts } = subscriptionFor(refs, device);
    setHistoryError(undefined);
    Promise.all(
      streams.map(async stream => {
        const history = await api.getLiveHistory(entity, {
          stream,
          minutes: windowMinutes,
        });
        if (cancelled || store !== storeRef.current) return;
        const kept = history.points.filter(p =>
          accepts({
            type: 'data',
            stream,
            timestamp: p.ts,
            data: { ts: p.ts, fields: p.fields },
            device_id: p.deviceId,
          }),
        );
        store.backfill(stream, kept);
        throttle.schedule();
      }),
    ).catch(error => {
      if (!cancelled) setHistoryError(error);
    });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, entityKey, refsKey, device, windowMinutes, throttle]);

  // Resuming or changing the window shows the newest data at once; a slow
  // tick keeps the chart's time axis moving when no data arrives.
  useEffect(() => {
    throttle.schedule();
    if (paused) return undefined;
    const tick = setInterval(() => throttle.schedule(), 1000);
    return () => clearInterval(tick);
  }, [paused, windowMinutes, throttle]);

  const retry = useCallback(() => connectionRef.current?.retryNow(), []);
  return { state, view, historyError, retry };
}
