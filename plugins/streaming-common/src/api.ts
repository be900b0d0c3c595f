import type { AggregateBucket } from '@homelab/pipeline-contracts';

/**
 * Response shapes of the streaming backend's HTTP API, shared so the frontend
 * client and the backend router cannot disagree. Timestamps are ISO-8601
 * strings; offsets are numbers (Kafka offsets stay far below 2^53 in practice).
 */

/**
 * Why a partition's lag is what it is. Anything but `ok` means the plain
 * number would mislead:
 * - `no-committed-offset`: the group never committed on this partition; Kafka's
 *   own tool prints "-" and so do we (lag is null).
 * - `below-log-start`: the committed offset fell out of the log (retention
 *   deleted records the group never read).
 * - `negative`: the committed offset is past the high watermark (e.g. a topic
 *   was recreated or offsets were reset by hand).
 */
export type LagState =
  | 'ok'
  | 'no-committed-offset'
  | 'below-log-start'
  | 'negative';

export interface PartitionLag {
  partition: number;
  committedOffset: number | null;
  logStartOffset: number;
  highWatermark: number;
  /** high watermark − committed offset; null without a committed offset. */
  lag: number | null;
  state: LagState;
  /** Records deleted before the group read them (`below-log-start` only). */
  lostRecords?: number;
  /** Seconds since the group's position was the head of the log, from sampled offsets. */
  lagSeconds?: number | null;
  /** The member that owns the partition now, if the group is active. */
  memberId?: string;
  clientId?: string;
}

export interface TopicLag {
  topic: string;
  partitions: PartitionLag[];
  /** Sum of the partitions' known lag (partitions in state `no-committed-offset` count 0). */
  totalLag: number;
  error?: string;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  assignments: { topic: string; partitions: number[] }[];
}

export type LagTrendDirection = 'growing' | 'shrinking' | 'steady' | 'unknown';

export interface LagSample {
  at: string;
  lag: number;
}

export interface LagTrend {
  direction: LagTrendDirection;
  /** Lag change per second over the trend window (positive = growing). */
  lagChangePerSecond: number | null;
  /** Records per second the group commits / the topics receive. */
  consumeRatePerSecond: number | null;
  produceRatePerSecond: number | null;
  /** Worst partition's lag in seconds; null when no samples cover it. */
  lagSeconds: number | null;
  /** True when the samples do not reach back far enough: the real lag is at least this. */
  lagSecondsIsLowerBound: boolean;
  /** Seconds until lag is 0 at the current rates; null when not catching up. */
  timeToCatchUpSeconds: number | null;
  /** Total lag over time, oldest first, for sparklines. */
  samples: LagSample[];
}

export interface WorstPartition {
  topic: string;
  partition: number;
  lag: number;
  state: LagState;
}

export interface ConsumerGroupLag {
  cluster: string;
  group: string;
  /** Kafka's group state: Stable, Empty, PreparingRebalance, Dead, … */
  state: string;
  protocolType?: string;
  members: GroupMember[];
  topics: TopicLag[];
  totalLag: number;
  worstPartition?: WorstPartition;
  /** Counts of partitions per non-ok state, so a summary can warn without walking tables. */
  stateCounts: Partial<Record<LagState, number>>;
  trend?: LagTrend;
  /** Set when the group could not be read; the rest of the page still renders. */
  error?: string;
}

export interface TopicPartitionDetails {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  highWatermark: number;
}

export interface TopicDetails {
  cluster: string;
  topic: string;
  /** Why the entity shows this topic. */
  roles: Array<'produces' | 'consumes' | 'group'>;
  partitions: TopicPartitionDetails[];
  replicationFactor: number;
  /** Records in the log now (sum of high watermark − log start). */
  records: number;
  config: {
    'retention.ms'?: string;
    'segment.ms'?: string;
    'cleanup.policy'?: string;
    [key: string]: string | undefined;
  };
  error?: string;
}

export interface KafkaClusterInfo {
  name: string;
  dashboardUrl?: string;
}

export interface EntityKafkaResponse {
  entityRef: string;
  fetchedAt: string;
  clusters: KafkaClusterInfo[];
  groups: ConsumerGroupLag[];
  topics: TopicDetails[];
}

export interface HypertableSizes {
  tableBytes: number;
  indexBytes: number;
  toastBytes: number;
  totalBytes: number;
}

export interface ChunkStats {
  count: number;
  rangeStart: string | null;
  rangeEnd: string | null;
}

export interface CompressionStats {
  enabled: boolean;
  compressedChunks: number;
  totalChunks: number;
  beforeBytes: number | null;
  afterBytes: number | null;
  /** before / after; null until a chunk is compressed. */
  ratio: number | null;
}

export interface ContinuousAggregateInfo {
  name: string;
  materializedOnly: boolean;
  /** Up to where the aggregate is materialised; null if unknown or nothing is materialised yet. */
  watermark: string | null;
  /** False before the first refresh: TimescaleDB's watermark is then its minimum time, not a date. */
  materialized?: boolean;
  /**
   * Raw rows past the watermark: computed at query time by a real-time
   * aggregate, missing from a materialised-only one. Null if unknown.
   */
  pendingRows?: RowCount | null;
  /** The oldest raw row past the watermark. */
  pendingSince?: string | null;
}

/** A row count and how it was obtained. */
export interface RowCount {
  count: number;
  /** `exact`: count(*); `estimate`: the planner's statistics; `at-least`: counting stopped at `count`. */
  kind: 'exact' | 'estimate' | 'at-least';
}

/** The sink's replay and write-conflict counts for one hypertable (its streaming_sink_conflicts row). */
export interface WriteConflicts {
  /** Rows written again with the same values (a harmless replay). */
  replays: number;
  /** Rows that arrived with the same (device_id, ts) but different values. */
  conflicts: number;
  lastConflictAt: string | null;
  /** What the sink recorded about the last conflict. */
  lastConflict: unknown;
}

export interface JobInfo {
  jobId: number;
  /** e.g. "Compression Policy [1000]", "Refresh Continuous Aggregate Policy [1001]". */
  application: string;
  procName: string;
  scheduleInterval: string | null;
  scheduled: boolean;
  lastRunStatus: string | null;
  lastRunStartedAt: string | null;
  lastSuccessfulFinish: string | null;
  nextStart: string | null;
  totalRuns: number | null;
  totalFailures: number | null;
  /** What the job targets: the hypertable itself or one of its aggregates. */
  target: string;
  /** The newest entry of `timescaledb_information.job_errors` for this job. */
  lastError?: { message: string; at: string | null } | null;
}

export interface DeviceFreshness {
  deviceId: string;
  newestTs: string;
}

export interface HypertableStats {
  database: string;
  table: string;
  /** False on plain PostgreSQL or for a table that is not a hypertable. */
  timescale: boolean;
  /** Says why TimescaleDB facts are missing, when they are. */
  note?: string;
  sizes?: HypertableSizes;
  /** The planner's estimate; prefer `rows`, which says whether it is exact. */
  rowEstimate?: number | null;
  rows?: RowCount;
  chunks?: ChunkStats;
  compression?: CompressionStats;
  continuousAggregates?: ContinuousAggregateInfo[];
  jobs?: JobInfo[];
  freshness?: { newestTs: string | null; perDevice: DeviceFreshness[] };
  ingest?: { rowsLastHour: number; ratePerSecond: number };
  /** Absent when the sink keeps no conflicts table in this database. */
  writeConflicts?: WriteConflicts;
  error?: string;
}

export interface EntityTimescaleResponse {
  entityRef: string;
  fetchedAt: string;
  databases: { name: string; timescale: boolean; version?: string }[];
  tables: HypertableStats[];
}

/** The continuous aggregates' buckets; the names come from the contracts. */
export type HistoryBucket = AggregateBucket;

export interface HistoryPoint {
  bucket: string;
  deviceId: string;
  /** e.g. power_kw_avg, power_kw_max, count. */
  values: Record<string, number | null>;
}

export interface HypertableHistoryResponse {
  database: string;
  table: string;
  bucket: HistoryBucket;
  /** `aggregate:<view>` when read from a continuous aggregate, `raw` for time_bucket on the table. */
  source: string;
  /** Numeric series names present in `values`. */
  series: string[];
  points: HistoryPoint[];
}

/** One dead letter as the Dead letters tab shows it. */
export interface DeadLetter {
  /** Where the letter itself is: the DLQ topic, partition and offset. */
  partition: number;
  offset: string;
  /** The header's failure time, else the record's Kafka timestamp. */
  time: string;
  errorClass: string;
  reason: string;
  service?: string;
  attempts?: number;
  /** Where the refused message came from: a Kafka position (sink) or an MQTT topic (bridge). */
  source: {
    topic?: string;
    partition?: number;
    offset?: string;
    mqttTopic?: string;
  };
  device?: string;
  /** The start of the payload as text, with control and non-UTF-8 bytes escaped. */
  payload: { preview: string; bytes: number; truncated: boolean };
}

export interface DeadLetterCounts {
  /** The letters counted: the newest ones up to a bound per partition. */
  scanned: number;
  /** True when older letters exist that were not counted. */
  capped: boolean;
  byClass: Record<string, number>;
  /** Letters per hour and class, oldest first. */
  hourly: { bucket: string; counts: Record<string, number> }[];
}

export interface DeadLettersResponse {
  entityRef: string;
  fetchedAt: string;
  /** The entity's DLQ topics as `<cluster>/<topic>`; `cluster`/`topic` is the one shown. */
  topics: string[];
  cluster: string;
  topic: string;
  /** Letters the topic holds now (high watermark − log start over partitions). */
  held: number;
  /** Counts over the newest letters; on the first page only. */
  counts?: DeadLetterCounts;
  /** Newest first. */
  letters: DeadLetter[];
  /** Pass as `before` for the next, older page; absent at the start of retention. */
  next?: string;
  /** Why the page may be incomplete (e.g. the read timed out). */
  partial?: string;
}

/**
 * One measured figure of a pipeline stage. `value: null` means unknown, and
 * `reason` says why (unreachable, metric missing, not enough scrapes yet);
 * it is never reported as 0. A figure that does not apply to a stage is
 * left out of the stage altogether.
 */
export interface PipelineFigure {
  value: number | null;
  reason?: string;
  /** Seconds of history the value covers (rates, DLQ counts, latencies). */
  windowSeconds?: number;
  /** What was measured, e.g. the metric or topic it comes from. */
  source?: string;
}

export interface PipelineLatency {
  p50: number | null;
  p99: number | null;
  /** Seconds of history the quantiles cover. */
  windowSeconds?: number;
  reason?: string;
  /** Which two timestamps the latency lies between, e.g. "Kafka timestamp → sent to clients". */
  between: string;
}

export type PipelineHealthStatus = 'ready' | 'not-ready' | 'unknown';

export interface PipelineStage {
  /** Stable id: devices, mosquitto, mqtt-kafka-bridge, kafka, timescaledb-sink, timescaledb, energy-ws, browsers. */
  id: string;
  title: string;
  /** The catalog Component this stage runs as, if any (its `metadata.name`). */
  component?: string;
  health: { status: PipelineHealthStatus; reason?: string };
  /** Records per second into and out of the stage. */
  rateIn?: PipelineFigure;
  rateOut?: PipelineFigure;
  /** Records waiting: consumer-group lag, unacknowledged messages. */
  backlog?: PipelineFigure;
  /** Seconds since the newest record. */
  freshnessSeconds?: PipelineFigure;
  /** Dead letters in the last hour (or `windowSeconds`, while the backend has less history). */
  deadLetters?: PipelineFigure;
  latency?: PipelineLatency;
  /** A short extra fact, e.g. "3 clients connected". */
  note?: string;
}

export interface EntityPipelineResponse {
  entityRef: string;
  /** The pipeline's name in `streaming.pipeline.pipelines`. */
  pipeline: string;
  fetchedAt: string;
  /** Seconds between two scrapes of the services. */
  scrapeIntervalSeconds: number;
  stages: PipelineStage[];
}
