import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type KafkaUserMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface SecureKafkaOptions {
  /** The broker's server certificate and unencrypted PKCS#8 key (PEM files), e.g. from createCertificateAuthority(). */
  certFile: string;
  keyFile: string;
  /** Users of the SASL_SSL listener. SCRAM users are created by `kafka-storage format --add-scram`. */
  users: Array<{
    username: string;
    password: string;
    mechanism: KafkaUserMechanism;
  }>;
}

/** Kept simple so neither the JAAS line nor `--add-scram` needs quoting rules. */
const SAFE = /^[A-Za-z0-9_.-]{1,64}$/;

function checkUsers(secure: SecureKafkaOptions) {
  for (const u of secure.users) {
    if (!SAFE.test(u.username) || !SAFE.test(u.password))
      throw new Error(
        `startKafka: secure user names and passwords may use only letters, digits, "_", "." and "-" (user ${JSON.stringify(
          u.username,
        )})`,
      );
  }
}

/** Kafka's PEM keystore: the private key and the certificate in one file. */
export function writeKeystore(
  root: string,
  secure: SecureKafkaOptions,
): string {
  checkUsers(secure);
  mkdirSync(root, { recursive: true });
  const file = path.join(root, 'broker-keystore.pem');
  writeFileSync(
    file,
    `${readFileSync(secure.keyFile, 'utf8').trim()}\n${readFileSync(
      secure.certFile,
      'utf8',
    ).trim()}\n`,
    { mode: 0o600 },
  );
  return file;
}

/**
 * StorageTool arguments that write SCRAM credentials into the new cluster's
 * metadata, as `kafka-storage format --add-scram` does; the broker then
 * authenticates them with no file of passwords.
 */
export function scramFormatArgs(
  secure: SecureKafkaOptions | undefined,
): string[] {
  return (secure?.users ?? [])
    .filter(u => u.mechanism !== 'plain')
    .flatMap(u => [
      '--add-scram',
      `${u.mechanism.toUpperCase()}=[name=${u.username},password=${
        u.password
      }]`,
    ]);
}
