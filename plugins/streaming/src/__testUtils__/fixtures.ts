import type { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import type {
  DeadLettersResponse,
  EntityKafkaResponse,
  EntityTimescaleResponse,
  HypertableHistoryResponse,
} from '@homelab/plugin-streaming-common';
import type { StreamingApi } from '../api';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'timescaledb-sink',
    namespace: 'default',
    annotations: {
      'kafka.apache.org/consumer-groups': 'local/timescaledb-energy',
      'streaming.homelab.dev/consumes-topics': 'local/homelab.energy',
      'streaming.homelab.dev/hypertables': 'timescale/energy_readings',
    },
  },
  spec: {
    type: 'service',
    owner: 'group:homelab-team',
    lifecycle: 'production',
  },
};

const now = Date.now();
const ago = (s: number) => new Date(now - s * 1000).toISOString();

export const kafkaResponse: EntityKafkaResponse = {
  entityRef: 'component:default/timescaledb-sink',
  fetchedAt: ago(0),
  clusters: [{ name: 'local', dashboardUrl: 'http://console.example/local' }],
  groups: [
    {
      cluster: 'local',
      group: 'timescaledb-energy',
      state: 'Stable',
      protocolType: 'consumer',
      members: [
        {
          memberId: 'm-1',
          clientId: 'sink-1',
          clientHost: '/127.0.0.1',
          assignments: [{ topic: 'homelab.energy', partitions: [0, 1, 2] }],
        },
      ],
      topics: [
        {
          topic: 'homelab.energy',
          totalLag: 1234,
          partitions: [
            {
              partition: 0,
              committedOffset: 100,
              logStartOffset: 0,
              highWatermark: 1334,
              lag: 1234,
              state: 'ok',
              lagSeconds: 95,
              clientId: 'sink-1',
            },
            {
              partition: 1,
              committedOffset: 50,
              logStartOffset: 0,
              highWatermark: 50,
              lag: 0,
              state: 'ok',
              lagSeconds: 0,
              clientId: 'sink-1',
            },
            {
              partition: 2,
              committedOffset: null,
              logStartOffset: 0,
              highWatermark: 17,
              lag: null,
              state: 'no-committed-offset',
              lagSeconds: null,
              clientId: 'sink-1',
            },
          ],
        },
      ],
      totalLag: 1234,
      worstPartition: {
        topic: 'homelab.energy',
        partition: 0,
        lag: 1234,
        state: 'ok',
      },
      stateCounts: { ok: 2, 'no-committed-offset': 1 },
      trend: {
        direction: 'growing',
        lagChangePerSecond: 2,
        consumeRatePerSecond: 1,
        produceRatePerSecond: 3,
        lagSeconds: 95,
        lagSecondsIsLowerBound: false,
        timeToCatchUpSeconds: null,
        samples: [ago(90), ago(60), ago(30), ago(0)].map((at, i) => ({
          at,
          lag: 1000 + i * 78,
        })),
      },
    },
    {
      cluster: 'local',
      group: 'energy-ws',
      state: 'Unknown',
      members: [],
      topics: [],
      totalLag: 0,
      stateCounts: {},
      error:
        'cannot read consumer group energy-ws on cluster local: The group coordinator is not available',
    },
  ],
  topics: [
    {
      cluster: 'local',
      topic: 'homelab.energy',
      roles: ['consumes', 'group'],
      partitions: [0, 1, 2].map(p => ({
        partition: p,
        leader: 1,
        replicas: [1],
        isr: [1],
        logStartOffset: 0,
        highWatermark: 100,
      })),
      replicationFactor: 1,
      records: 300,
      config: {
        'retention.ms': '86400000',
        'segment.ms': '900000',
        'cleanup.policy': 'delete',
      },
    },
  ],
};

export const timescaleResponse: EntityTimescaleResponse = {
  entityRef: 'component:default/timescaledb-sink',
  fetchedAt: ago(0),
  databases: [{ name: 'timescale', timescale: true, version: '2.23.0' }],
  tables: [
    {
      database: 'timescale',
      table: 'energy_readings',
      timescale: true,
      sizes: {
        tableBytes: 1048576,
        indexBytes: 524288,
        toastBytes: 0,
        totalBytes: 1572864,
      },
      rowEstimate: 120000,
      rows: { count: 120000, kind: 'exact' },
      chunks: { count: 7, rangeStart: ago(7 * 86400), rangeEnd: ago(-86400) },
      compression: {
        enabled: true,
        compressedChunks: 5,
        totalChunks: 7,
        beforeBytes: 10_000_000,
        afterBytes: 1_000_000,
        ratio: 10,
      },
      continuousAggregates: [
        {
          name: 'energy_readings_hourly',
          materializedOnly: false,
          materialized: true,
          watermark: ago(3600),
          pendingRows: { count: 448, kind: 'exact' },
          pendingSince: ago(3590),
        },
      ],
      jobs: [
        {
          jobId: 1000,
          application: 'Compression Policy [1000]',
          procName: 'policy_compression',
          scheduleInterval: '12:00:00',
          scheduled: true,
          lastRunStatus: 'Success',
          lastRunStartedAt: ago(600),
          lastSuccessfulFinish: ago(590),
          nextStart: ago(-3600),
          totalRuns: 4,
          totalFailures: 0,
          target: 'energy_readings',
          lastError: null,
        },
      ],
      writeConflicts: {
        replays: 12,
        conflicts: 2,
        lastConflictAt: ago(60),
        lastConflict: { device_id: 'meter1' },
      },
      freshness: {
        newestTs: ago(5),
        perDevice: [
          { deviceId: 'meter1', newestTs: ago(5) },
          { deviceId: 'meter2', newestTs: ago(7200) },
        ],
      },
      ingest: { rowsLastHour: 10800, ratePerSecond: 3 },
    },
    {
      database: 'timescale',
      table: 'heatpump_readings',
      timescale: false,
      error: 'table heatpump_readings does not exist in database "timescale"',
    },
  ],
};

export const historyResponse: HypertableHistoryResponse = {
  database: 'timescale',
  table: 'energy_readings',
  bucket: 'hour',
  source: 'aggregate:energy_readings_hourly',
  series: ['power_kw_avg', 'power_kw_max'],
  points: [
    {
      bucket: ago(7200),
      deviceId: 'meter1',
      values: { power_kw_avg: 3.1, power_kw_max: 4 },
    },
    {
      bucket: ago(3600),
      deviceId: 'meter1',
      values: { power_kw_avg: 3.3, power_kw_max: 4.2 },
    },
  ],
};

export const deadLettersResponse: DeadLettersResponse = {
  entityRef: 'component:default/mqtt-kafka-bridge',
  fetchedAt: ago(0),
  topics: ['local/homelab.dlq'],
  cluster: 'local',
  topic: 'homelab.dlq',
  held: 3,
  counts: {
    scanned: 3,
    capped: false,
    byClass: { 'not-json': 2, 'invalid-record': 1 },
    hourly: [
      { bucket: ago(3600), counts: { 'not-json': 2, 'invalid-record': 1 } },
    ],
  },
  letters: [
    {
      partition: 0,
      offset: '2',
      time: ago(60),
      errorClass: 'invalid-record',
      reason: 'ts is 300 years in the future',
      service: 'timescaledb-sink',
      attempts: 3,
      source: { topic: 'homelab.energy', partition: 0, offset: '41' },
      device: 'meter2',
      payload: { preview: '{"stream":"energy"}', bytes: 19, truncated: false },
    },
    {
      partition: 0,
      offset: '1',
      time: ago(120),
      errorClass: 'not-json',
      reason: 'payload is not JSON',
      service: 'mqtt-kafka-bridge',
      source: { mqttTopic: 'homelab/energy/meter1' },
      device: 'meter1',
      payload: {
        preview: '\\x1b[2J<script>alert(1)</script>',
        bytes: 4102,
        truncated: true,
      },
    },
  ],
  next: '0:1',
};

export const deadLettersOlder: DeadLettersResponse = {
  ...deadLettersResponse,
  counts: undefined,
  next: undefined,
  letters: [
    {
      partition: 0,
      offset: '0',
      time: ago(7200),
      errorClass: 'not-json',
      reason: 'payload is not JSON',
      service: 'mqtt-kafka-bridge',
      source: { mqttTopic: 'homelab/energy/meter1' },
      device: 'meter1',
      payload: { preview: 'oldest letter', bytes: 13, truncated: false },
    },
  ],
};

export function mockStreamingApi(
  overrides: Partial<StreamingApi> = {},
): StreamingApi {
  return {
    getKafka: jest.fn(async () => kafkaResponse),
    getTimescale: jest.fn(async () => timescaleResponse),
    getTimescaleHistory: jest.fn(async () => historyResponse),
    getDeadLetters: jest.fn(async (_entity, options) =>
      options?.before ? deadLettersOlder : deadLettersResponse,
    ),
    // The pipeline view's tests bring their own answers (PipelineView.test.tsx).
    getPipeline: jest.fn(async () => {
      throw new Error('getPipeline is not mocked in this test');
    }),
    ...overrides,
  };
}

/** A ResponseError as the client throws it for a backend error answer. */
export async function backendError(
  status: number,
  message: string,
): Promise<ResponseError> {
  const body = JSON.stringify({
    error: { name: status === 400 ? 'InputError' : 'NotAllowedError', message },
    response: { statusCode: status },
  });
  const headers = new Map([['content-type', 'application/json']]);
  return ResponseError.fromResponse({
    status,
    statusText: status === 400 ? 'Bad Request' : 'Forbidden',
    url: 'http://localhost:7007/api/streaming/entities/component/default/timescaledb-sink/kafka',
    headers,
    text: async () => body,
  } as unknown as Response);
}
