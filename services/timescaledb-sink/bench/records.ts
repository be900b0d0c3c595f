/**
 * The benchmark's records: canonical energy records of 100 meters, one
 * reading per meter per second (the flat meter's shape, ~330 bytes as JSON).
 * The drain and the `psql \copy` reference store exactly these rows.
 */
import type { CanonicalRecord } from '@homelab/pipeline-contracts';

const BASE = Date.parse('2025-01-01T00:00:00Z');

/** The typed columns of the benchmark's table. */
export const BENCH_COLUMNS = {
  power_kw: 'double precision',
  total_energy_kwh: 'double precision',
  voltage: 'double precision',
  current: 'double precision',
};

export function benchRecord(j: number, receivedAt: string): CanonicalRecord {
  const device = `meter-${j % 100}`;
  return {
    stream: 'energy',
    device_id: device,
    ts: new Date(BASE + Math.floor(j / 100) * 1000).toISOString(),
    fields: {
      power_kw: (j % 5000) / 1000,
      total_energy_kwh: j / 100,
      voltage: 230 + (j % 7),
      current: 13.9,
    },
    received_at: receivedAt,
    source: {
      mqtt_topic: `homelab/energy/${device}`,
      qos: 1,
      retained: false,
      bridge_id: 'bench',
    },
  };
}

/** The same record as one COPY text line of the readings table (no extra fields). */
export function copyLine(r: CanonicalRecord): string {
  const f = r.fields;
  return `${r.ts}\t${r.device_id}\t${r.received_at}\t${f.power_kw}\t${f.total_energy_kwh}\t${f.voltage}\t${f.current}\t\\N\n`;
}
