/**
 * The homelab's three device streams: energy meters, the heat pump and
 * temperature sensors. Each stream has one MQTT
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

/** The consumer group names the homelab's deployments already use. */
export const DEFAULT_GROUPS = {
  sink: 'timescaledb-energy',
  websocket: 'energy-ws',
} as const;
