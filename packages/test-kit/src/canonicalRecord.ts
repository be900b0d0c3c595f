import type { CanonicalRecord, StreamName } from '@homelab/pipeline-contracts';

/**
 * A canonical record as the bridge writes it, for the tests of its readers
 * (the sink, energy-ws) and their benchmarks, which must not need the bridge.
 * `ts` defaults to now; `received_at` is always now.
 */
export function canonicalRecord(
  stream: StreamName,
  deviceId: string,
  fields: Record<string, number>,
  ts: Date | string = new Date(),
): CanonicalRecord {
  return {
    stream,
    device_id: deviceId,
    ts: typeof ts === 'string' ? ts : ts.toISOString(),
    fields,
    received_at: new Date().toISOString(),
    source: {
      mqtt_topic: `homelab/${stream}/${deviceId}`,
      qos: 1,
      retained: false,
      bridge_id: 'test-bridge',
    },
  };
}
