import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { HOST, portOrFree } from '../ports';
import { requireBinary } from '../process/binaries';
import { chownTo, serviceUser } from '../process/osUser';
import { supervise, Supervised } from '../process/supervisor';
import { waitReady } from '../process/waitReady';
import { makeRunDir } from '../tmp';
import { startLifecycle } from '../process/lifecycle';
import { mosquittoConfig } from './config';
import { MosquittoTlsOptions, prepareTlsListener } from './tls';

export interface StartMosquittoOptions {
  port?: number;
  startTimeoutMs?: number;
  /**
   * `max_queued_messages` (default: Mosquitto's stock 1000). Raise it only
   * where a test explains why, as a user would have to for the same load.
   */
  maxQueuedMessages?: number;
  /**
   * Adds a TLS listener on its own port that takes only these users
   * (password file made with `mosquitto_passwd`). Absent: plain only.
   */
  tls?: MosquittoTlsOptions;
}

export interface MosquittoServer {
  /** mqtt://127.0.0.1:<port>, the MQTT_URL format. */
  url: string;
  port: number;
  /** mqtts://127.0.0.1:<port> of the TLS listener; undefined without `tls`. */
  tlsUrl?: string;
  /** Stops the broker and removes its data. */
  stop(): Promise<void>;
  /** Stops and starts the broker on the same port; persistent sessions and their queued messages survive. */
  restart(): Promise<void>;
}

export const MOSQUITTO_BIN =
  process.env.HOMELAB_MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

async function acceptsMqtt(url: string): Promise<boolean> {
  const client = await mqtt.connectAsync(url, {
    connectTimeout: 1000,
    reconnectPeriod: 0,
    clientId: `homelab-infra-health-${process.pid}`,
  });
  await client.endAsync();
  return true;
}

export async function startMosquitto(
  options: StartMosquittoOptions = {},
): Promise<MosquittoServer> {
  const binary = requireBinary({
    binary: MOSQUITTO_BIN,
    providedBy: 'mosquitto (Debian package)',
  });
  // Under root, mosquitto would switch to its own user anyway; doing it at spawn keeps file ownership simple.
  const user = serviceUser('mosquitto', 'the mosquitto Debian package');
  const port = await portOrFree(options.port, 'Mosquitto');
  const url = `mqtt://${HOST}:${port}`;
  const dir = makeRunDir('mosquitto');
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  chownTo(user, dataDir);
  const configFile = path.join(dir, 'mosquitto.conf');
  const tls = options.tls
    ? await prepareTlsListener(dir, user, options.tls)
    : undefined;
  writeFileSync(
    configFile,
    mosquittoConfig(port, dataDir, options.maxQueuedMessages, tls),
  );

  let child: Supervised | undefined;
  async function launch() {
    child = supervise({
      name: `Mosquitto (${url})`,
      command: binary,
      args: ['-c', configFile],
      logFile: path.join(dir, 'mosquitto.log'),
      cwd: dir,
      uid: user?.uid,
      gid: user?.gid,
      // SIGTERM makes mosquitto write its persistence file before exiting.
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 10_000,
    });
    await waitReady(child, {
      timeoutMs: options.startTimeoutMs ?? 30_000,
      check: () => acceptsMqtt(url),
    });
  }

  const lifecycle = await startLifecycle({ dir, launch, current: () => child });
  return {
    url,
    port,
    tlsUrl: tls && `mqtts://${HOST}:${tls.port}`,
    ...lifecycle,
  };
}
