import type {
  PipelineFigure,
  PipelineLatency,
  PipelineStage,
} from '@homelab/plugin-streaming-common';
import type { ServiceProbe } from './probe';
import type { PipelineSettings } from './settings';
import {
  increase,
  rate,
  Snapshot,
  SnapshotHistory,
  Windowed,
  windowQuantiles,
} from './window';

/** Rates are "now": the last minute. */
export const RATE_WINDOW_MS = 60_000;
/** Latencies are "the last minutes". */
export const LATENCY_WINDOW_MS = 5 * 60_000;
export const DLQ_WINDOW_MS = 60 * 60_000;

export interface KafkaReading {
  history: SnapshotHistory;
  error?: string;
}

export interface TableFreshness {
  table: string;
  newest: Date | null;
  error?: string;
}

export interface StageInputs {
  pipeline: PipelineSettings;
  now: number;
  devices?: ServiceProbe;
  bridge?: ServiceProbe;
  sink?: ServiceProbe;
  live?: ServiceProbe;
  kafka: KafkaReading;
  tables: TableFreshness[] | { error: string };
}

/** What is known about one source: its snapshots, or why there are none usable. */
type Source =
  | { history: SnapshotHistory; error?: undefined }
  | { history?: undefined; error: string };

function serviceSource(probe: ServiceProbe | undefined, role: string): Source {
  if (!probe)
    return { error: `no ${role} service configured for this pipeline` };
  // A failed last scrape makes every figure unknown: old numbers would look current.
  if (probe.metricsError) return { error: probe.metricsError };
  return { history: probe.history };
}

function kafkaSource(reading: KafkaReading): Source {
  return reading.error
    ? { error: reading.error }
    : { history: reading.history };
}

const unknown = (reason: string): PipelineFigure => ({ value: null, reason });

function fromWindowed(w: Windowed, source: string): PipelineFigure {
  return w.value === null
    ? { value: null, reason: w.reason, source }
    : { value: w.value, windowSeconds: w.windowSeconds, source };
}

function rateOf(
  src: Source,
  keys: string[],
  source = keys.join(' + '),
): PipelineFigure {
  if (!src.history) return unknown(src.error);
  return fromWindowed(rate(src.history.within(RATE_WINDOW_MS), keys), source);
}

function countOf(
  src: Source,
  keys: string[],
  source = keys.join(' + '),
): PipelineFigure {
  if (!src.history) return unknown(src.error);
  const snaps = src.history.within(DLQ_WINDOW_MS);
  let total = 0;
  let window = 0;
  for (const key of keys) {
    const inc = increase(snaps, key);
    if (inc.value === null) return { ...unknown(inc.reason), source };
    total += inc.value;
    window = Math.max(window, inc.windowSeconds);
  }
  return { value: total, windowSeconds: window, source };
}

function gaugeOf(src: Source, key: string, source = key): PipelineFigure {
  if (!src.history) return unknown(src.error);
  const latest = src.history.latest();
  if (!latest) return unknown('not scraped yet');
  const value = latest.values[key];
  const group = key.startsWith('lag:') ? key.slice(4) : undefined;
  const uncommitted = group ? latest.values[`uncommitted:${group}`] : undefined;
  if (uncommitted !== undefined)
    return {
      ...unknown(
        `consumer group ${group} has no committed offset yet on ${uncommitted} partition(s) holding records`,
      ),
      source,
    };
  return value === undefined
    ? { ...unknown(`metric ${key} is not exported`), source }
    : { value, source };
}

/** Seconds since a counter last grew, to the precision of the scrape interval. */
function sinceGrowth(src: Source, keys: string[], now: number): PipelineFigure {
  if (!src.history) return unknown(src.error);
  const snaps = src.history.within(DLQ_WINDOW_MS);
  const total = (s: Snapshot) =>
    keys.every(k => k in s.values)
      ? keys.reduce((sum, k) => sum + s.values[k], 0)
      : undefined;
  const last = snaps[snaps.length - 1];
  if (!last || total(last) === undefined)
    return unknown(`metric ${keys.join(' + ')} is not exported`);
  for (let i = snaps.length - 1; i > 0; i--) {
    const cur = total(snaps[i]);
    const prev = total(snaps[i - 1]);
    if (cur !== undefined && prev !== undefined && cur !== prev)
      return {
        value: Math.max(0, (now - snaps[i].at) / 1000),
        source: keys.join(' + '),
      };
  }
  const window = Math.round((last.at - snaps[0].at) / 1000);
  return unknown(
    snaps.length < 2
      ? 'measuring: two scrapes are needed'
      : `no new record in the last ${window} s`,
  );
}

function latencyOf(
  src: Source,
  histogram: string,
  between: string,
): PipelineLatency {
  if (!src.history) return { p50: null, p99: null, reason: src.error, between };
  const q = windowQuantiles(src.history.within(LATENCY_WINDOW_MS), histogram);
  return q.p50 === null
    ? { p50: null, p99: null, reason: q.reason, between }
    : { p50: q.p50, p99: q.p99, windowSeconds: q.windowSeconds, between };
}

/** The first histogram the service exports among `names` (newer, end-to-end ones first). */
function pickHistogram(src: Source, names: string[]): string {
  const latest = src.history?.latest();
  return (
    names.find(n =>
      Object.keys(latest?.values ?? {}).some(k => k.startsWith(`${n}_bucket`)),
    ) ?? names[names.length - 1]
  );
}

function health(probe: ServiceProbe | undefined, role: string) {
  return probe
    ? { ...probe.health }
    : {
        status: 'unknown' as const,
        reason: `no ${role} service configured for this pipeline`,
      };
}

/**
 * The homelab's latency budget per stage (under 1 s from device to
 * browser) as live rows: devices → Mosquitto → mqtt-kafka-bridge → Kafka →
 * timescaledb-sink → TimescaleDB, and
 * Kafka → energy-ws → browsers. Each figure names the metric it comes
 * from; what cannot be measured is `null` with the reason, never 0.
 */
export function buildStages(inputs: StageInputs): PipelineStage[] {
  const { pipeline, now } = inputs;
  const devices = serviceSource(inputs.devices, 'devices');
  const bridge = serviceSource(inputs.bridge, 'bridge');
  const sink = serviceSource(inputs.sink, 'sink');
  const live = serviceSource(inputs.live, 'live');
  const kafka = kafkaSource(inputs.kafka);
  const topicKeys = pipeline.topics.map(t => `hw:${t}`);
  const stages: PipelineStage[] = [];

  stages.push({
    id: 'devices',
    title: 'Devices',
    component: pipeline.devices,
    health: health(inputs.devices, 'devices'),
    rateOut: rateOf(devices, ['simulator_messages_published_total']),
    backlog: gaugeOf(devices, 'simulator_pending_acks'),
    freshnessSeconds: sinceGrowth(
      devices,
      ['simulator_messages_published_total'],
      now,
    ),
    note: inputs.devices
      ? 'measured on the device simulator'
      : 'real devices expose no metrics; see Mosquitto and the bridge',
  });

  const bridgeProbe = inputs.bridge;
  stages.push({
    id: 'mosquitto',
    title: 'Mosquitto',
    // Mosquitto has no /metrics: the bridge's MQTT connection speaks for it.
    health:
      bridgeProbe?.health.status === 'ready'
        ? { status: 'ready' }
        : {
            status: 'unknown',
            reason: `seen only through the bridge: ${
              bridgeProbe?.health.reason ?? 'no bridge configured'
            }`,
          },
    rateIn: rateOf(devices, ['simulator_messages_published_total']),
    rateOut: rateOf(bridge, ['bridge_mqtt_messages_received_total']),
    latency: latencyOf(
      devices,
      'simulator_publish_ack_duration_seconds',
      'device publish → Mosquitto PUBACK',
    ),
  });

  stages.push({
    id: 'mqtt-kafka-bridge',
    title: 'mqtt-kafka-bridge',
    component: pipeline.bridge,
    health: health(inputs.bridge, 'bridge'),
    rateIn: rateOf(bridge, ['bridge_mqtt_messages_received_total']),
    rateOut: rateOf(bridge, ['bridge_kafka_records_produced_total']),
    backlog: gaugeOf(bridge, 'bridge_pending_acks'),
    freshnessSeconds: sinceGrowth(
      bridge,
      ['bridge_mqtt_messages_received_total'],
      now,
    ),
    deadLetters: countOf(bridge, ['bridge_dead_letters_total']),
    latency: latencyOf(
      bridge,
      'bridge_delivery_duration_seconds',
      'MQTT receive → PUBACK after the Kafka acknowledgement',
    ),
  });

  stages.push({
    id: 'kafka',
    title: 'Kafka',
    health: inputs.kafka.error
      ? { status: 'unknown', reason: inputs.kafka.error }
      : { status: 'ready' },
    rateIn: rateOf(
      kafka,
      topicKeys,
      `high watermarks of ${pipeline.topics.join(', ')}`,
    ),
    freshnessSeconds: sinceGrowth(kafka, topicKeys, now),
    deadLetters: pipeline.dlqTopic
      ? countOf(
          kafka,
          [`hw:${pipeline.dlqTopic}`],
          `records appended to ${pipeline.dlqTopic}`,
        )
      : undefined,
    latency: latencyOf(
      bridge,
      'bridge_kafka_produce_duration_seconds',
      'bridge produce → Kafka acknowledgement (acks=all)',
    ),
  });

  if (pipeline.sink) {
    const group = pipeline.sink.consumerGroup;
    const sinkLatency = pickHistogram(sink, [
      'timescaledb_sink_record_latency_seconds',
      'timescaledb_sink_batch_commit_seconds',
    ]);
    stages.push({
      id: 'timescaledb-sink',
      title: 'timescaledb-sink',
      component: pipeline.sink.service,
      health: health(inputs.sink, 'sink'),
      rateIn: rateOf(sink, ['timescaledb_sink_records_total']),
      rateOut: rateOf(sink, ['timescaledb_sink_rows_written_total']),
      backlog: gaugeOf(kafka, `lag:${group}`, `lag of consumer group ${group}`),
      freshnessSeconds: sinceGrowth(
        sink,
        ['timescaledb_sink_records_total'],
        now,
      ),
      deadLetters: countOf(sink, ['timescaledb_sink_dead_letters_total']),
      latency: latencyOf(
        sink,
        sinkLatency,
        sinkLatency === 'timescaledb_sink_batch_commit_seconds'
          ? 'batch write start → offset commit'
          : 'bridge received_at → database commit',
      ),
    });
  }

  if (pipeline.database) {
    const tables = inputs.tables;
    let freshness: PipelineFigure;
    let note: string | undefined;
    let status: PipelineStage['health'];
    if ('error' in tables) {
      freshness = unknown(`database ${pipeline.database}: ${tables.error}`);
      status = { status: 'unknown', reason: freshness.reason };
    } else {
      const newest = Math.max(
        ...tables.map(t => t.newest?.getTime() ?? -Infinity),
      );
      const failed = tables.filter(t => t.error);
      freshness = Number.isFinite(newest)
        ? {
            value: Math.max(0, (now - newest) / 1000),
            source: 'newest ts of the hypertables',
          }
        : unknown(failed[0]?.error ?? 'the hypertables hold no rows yet');
      note = tables
        .map(t =>
          t.newest
            ? `${t.table}: ${Math.round(
                Math.max(0, now - t.newest.getTime()) / 1000,
              )} s`
            : `${t.table}: ${t.error ?? 'empty'}`,
        )
        .join('; ');
      status =
        failed.length === tables.length && tables.length
          ? { status: 'unknown', reason: failed[0].error }
          : { status: 'ready' };
    }
    stages.push({
      id: 'timescaledb',
      title: 'TimescaleDB',
      health: status,
      rateIn: rateOf(sink, ['timescaledb_sink_rows_written_total']),
      freshnessSeconds: freshness,
      note,
    });
  }

  if (pipeline.live) {
    const group = pipeline.live.consumerGroup;
    stages.push({
      id: 'energy-ws',
      title: 'energy-ws',
      component: pipeline.live.service,
      health: health(inputs.live, 'live'),
      rateIn: rateOf(live, ['redpanda_messages_consumed_total']),
      rateOut: rateOf(live, ['redpanda_broadcast_count']),
      backlog: gaugeOf(kafka, `lag:${group}`, `lag of consumer group ${group}`),
      freshnessSeconds: sinceGrowth(
        live,
        ['redpanda_messages_consumed_total'],
        now,
      ),
      latency: latencyOf(
        live,
        'energy_ws_fanout_latency_seconds',
        'Kafka record timestamp → handed to every client socket',
      ),
    });
    const clients = gaugeOf(live, 'redpanda_websocket_clients_connected');
    stages.push({
      id: 'browsers',
      title: 'Browsers',
      health: health(inputs.live, 'live'),
      rateIn: rateOf(live, ['redpanda_broadcast_count']),
      note:
        clients.value === null
          ? `clients unknown: ${clients.reason}`
          : `${clients.value} client${
              clients.value === 1 ? '' : 's'
            } connected`,
    });
  }
  return stages;
}
