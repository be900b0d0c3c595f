import { fieldUnit, StreamName } from '@homelab/plugin-streaming-common';

/**
 * What each stream's chart shows first: power for the meters (`power_kw`
 * from the simple meters, `active_power_total` from the three-phase one),
 * the heat pump's flow and return temperatures (its coded fields d5 and d6),
 * and the sensors' temperature.
 */
const DEFAULT_FIELDS: Record<StreamName, string[]> = {
  energy: ['power_kw', 'active_power_total', 'power'],
  heatpump: ['d5', 'd6'],
  temperature: ['temperature_c', 'temperature'],
};

export const STREAM_TITLES: Record<StreamName, string> = {
  energy: 'Energy',
  heatpump: 'Heat pump',
  temperature: 'Temperature',
};

/** The heat pump names its fields by code only; the simulator sends them as °C. */
const HEATPUMP_FIELDS: Record<string, { label: string; unit: string }> = {
  d0: { label: 'outdoor temperature', unit: '°C' },
  d5: { label: 'flow temperature', unit: '°C' },
  d6: { label: 'return temperature', unit: '°C' },
};

export interface FieldInfo {
  /** e.g. "d5 flow temperature" or "power_kw". */
  label: string;
  unit?: string;
}

export function fieldInfo(stream: StreamName, field: string): FieldInfo {
  const known = stream === 'heatpump' ? HEATPUMP_FIELDS[field] : undefined;
  if (known) return { label: `${field} ${known.label}`, unit: known.unit };
  return { label: field, unit: fieldUnit(field) };
}

/** The stream's default fields that its devices send; else the first field there is. */
export function defaultFields(
  stream: StreamName,
  available: string[],
): string[] {
  const preferred = DEFAULT_FIELDS[stream].filter(f => available.includes(f));
  return preferred.length ? preferred : available.slice(0, 1);
}
