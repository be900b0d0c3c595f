import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../ports';
import { requireBinary } from '../process/binaries';
import { chownTo, OsUser } from '../process/osUser';
import { runOrThrow } from '../process/run';
import { TlsListenerConfig } from './config';

export const MOSQUITTO_PASSWD_BIN =
  process.env.HOMELAB_MOSQUITTO_PASSWD_BIN ?? '/usr/bin/mosquitto_passwd';

export interface MosquittoTlsOptions {
  /** Server certificate and key (PEM), e.g. from createCertificateAuthority(). */
  certFile: string;
  keyFile: string;
  users: Array<{ username: string; password: string }>;
  /** Require a client certificate signed by this CA (PEM file), besides the password. */
  clientCaFile?: string;
  port?: number;
}

/**
 * Copies the certificate and key where the mosquitto user can read them and
 * writes the password file with Mosquitto's own `mosquitto_passwd`.
 */
export async function prepareTlsListener(
  dir: string,
  user: OsUser | undefined,
  options: MosquittoTlsOptions,
): Promise<TlsListenerConfig> {
  if (options.users.length === 0)
    throw new Error('startMosquitto: tls needs at least one user');
  const passwd = requireBinary({
    binary: MOSQUITTO_PASSWD_BIN,
    providedBy: 'mosquitto (Debian package)',
  });
  const certFile = path.join(dir, 'server.crt');
  const keyFile = path.join(dir, 'server.key');
  const passwordFile = path.join(dir, 'passwords');
  copyFileSync(options.certFile, certFile);
  copyFileSync(options.keyFile, keyFile);
  writeFileSync(passwordFile, '', { mode: 0o600 });
  for (const u of options.users) {
    if (u.username.includes(':'))
      throw new Error(
        `startMosquitto: user name ${u.username} must not contain ":"`,
      );
    await runOrThrow('Writing the Mosquitto password file', passwd, [
      '-b',
      passwordFile,
      u.username,
      u.password,
    ]);
  }
  const clientCaFile = options.clientCaFile && path.join(dir, 'client-ca.crt');
  if (clientCaFile) copyFileSync(options.clientCaFile!, clientCaFile);
  chownTo(
    user,
    certFile,
    keyFile,
    passwordFile,
    ...(clientCaFile ? [clientCaFile] : []),
  );
  return {
    port: options.port ?? (await freePort()),
    certFile,
    keyFile,
    passwordFile,
    clientCaFile,
  };
}
