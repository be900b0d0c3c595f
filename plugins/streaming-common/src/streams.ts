/**
 * The homelab's three device streams (seed 002). Each stream has one MQTT
 * topic family, one Kafka topic and one hypertable; every other package
 * derives its names from this list so they cannot drift apart.
 */
export const STREAMS = ['energy', 'heatpump', 'temperature'] as const;

export type StreamName = (typeof STREAMS)[number];

export function isStreamName(value: unknown): value is StreamName {
  return (
    typeof value === 'string' && (STREAMS as readonly string[]).includes(value)
  );
}

export interface TopicSpec {
  name: string;
  retentionMs: number;
  /** Undefined means the broker's default segment roll. */
  segmentMs?: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * Default Kafka topics with the retention of seed 000 and DESIGN.md. They are
 * defaults only: every service lets config rename them.
 */
export const DEFAULT_TOPICS: Record<StreamName | 'dlq', TopicSpec> = {
  energy: {
    name: 'homelab.energy',
    retentionMs: 24 * HOUR,
    segmentMs: 15 * MINUTE,
  },
  heatpump: {
    name: 'homelab.heatpump',
    retentionMs: HOUR,
    segmentMs: 5 * MINUTE,
  },
  temperature: {
    name: 'homelab.temperature',
    retentionMs: 24 * HOUR,
    segmentMs: 15 * MINUTE,
  },
  dlq: { name: 'homelab.dlq', retentionMs: 7 * 24 * HOUR },
};

/** Consumer groups named by seeds 002 and 003. */
export const DEFAULT_GROUPS = {
  sink: 'timescaledb-energy',
  websocket: 'energy-ws',
} as const;

/** Hypertable per stream (DESIGN.md). */
export const DEFAULT_HYPERTABLES: Record<StreamName, string> = {
  energy: 'energy_readings',
  heatpump: 'heatpump_readings',
  temperature: 'temperature_readings',
};
