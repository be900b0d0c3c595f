import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './portal';

/** bin/dev's port variables: each service's ops port and the portal's. */
export type DevStackPorts = Record<
  | 'BRIDGE_OPS_PORT'
  | 'SINK_OPS_PORT'
  | 'ENERGY_WS_PORT'
  | 'SIMULATOR_OPS_PORT'
  | 'BACKEND_PORT',
  number
>;

/**
 * What dev-stack runs with when a test or a script starts it: every port
 * variable on a free port (a stack already up keeps its own), its logs in a
 * fresh folder, and every listener on loopback (HOMELAB_HOST unset).
 */
export async function devStackEnv(
  base: NodeJS.ProcessEnv = process.env,
): Promise<{ ports: DevStackPorts; env: NodeJS.ProcessEnv; logDir: string }> {
  const ports: DevStackPorts = {
    BRIDGE_OPS_PORT: await freePort(),
    SINK_OPS_PORT: await freePort(),
    ENERGY_WS_PORT: await freePort(),
    SIMULATOR_OPS_PORT: await freePort(),
    BACKEND_PORT: await freePort(),
  };
  const logDir = mkdtempSync(join(tmpdir(), 'dev-stack-logs-'));
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...Object.fromEntries(
      Object.entries(ports).map(([k, v]) => [k, String(v)]),
    ),
    HOMELAB_LOG_DIR: logDir,
  };
  delete env.HOMELAB_HOST;
  return { ports, env, logDir };
}

/** The Pipeline tab's stages, in the order it shows them (tr[data-stage]). */
export const PIPELINE_STAGES = [
  'devices',
  'mosquitto',
  'mqtt-kafka-bridge',
  'kafka',
  'timescaledb-sink',
  'timescaledb',
  'energy-ws',
  'browsers',
] as const;
