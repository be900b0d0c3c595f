import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { KafkaCluster, startKafka } from '../kafka/cluster';
import { KafkaUserMechanism } from '../kafka/secure';
import { MosquittoServer, startMosquitto } from '../mosquitto/server';
import {
  CertificateAuthority,
  createCertificateAuthority,
} from './certificateAuthority';

export interface SecuredUser {
  username: string;
  password: string;
  /** The password in a 0600 file, as a mounted Kubernetes Secret would hold it. */
  passwordFile: string;
}

export interface SecuredBrokers {
  ca: CertificateAuthority;
  /** A CA that signed nothing here: trusting it instead of `ca` must fail verification. */
  strangerCa: CertificateAuthority;
  /** SASL_SSL at `kafka.secureBrokers`, PLAINTEXT (for referees) at `kafka.brokers`. */
  kafka?: KafkaCluster;
  /** TLS with passwords at `mosquitto.tlsUrl`, anonymous plain at `mosquitto.url`. */
  mosquitto?: MosquittoServer;
  /** Kafka users, one per SASL mechanism. */
  kafkaUsers: Record<KafkaUserMechanism, SecuredUser>;
  /** MQTT users: one for the service under test, one for devices. */
  mqttUsers: { service: SecuredUser; device: SecuredUser };
  stop(): Promise<void>;
}

/**
 * A private Kafka and/or Mosquitto with secured listeners, a CA made with
 * openssl and users with random passwords, for one test file. The shared test
 * brokers stay plaintext.
 */
export async function startSecuredBrokers(
  options: { kafka?: boolean; mosquitto?: boolean } = {},
): Promise<SecuredBrokers> {
  const ca = await createCertificateAuthority('homelab-test-ca');
  const strangerCa = await createCertificateAuthority('stranger-ca');
  const server = await ca.issueServer('broker');
  const user = (username: string): SecuredUser => {
    const password = randomBytes(12).toString('hex');
    const passwordFile = path.join(ca.dir, `${username}.password`);
    // A trailing newline, as `echo` or an editor leaves it: readers must trim it.
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    return { username, password, passwordFile };
  };
  const kafkaUsers = {
    plain: user('svc-plain'),
    'scram-sha-256': user('svc-scram256'),
    'scram-sha-512': user('svc-scram512'),
  };
  const mqttUsers = { service: user('service'), device: user('device') };
  const [kafka, mosquitto] = await Promise.all([
    options.kafka === false
      ? undefined
      : startKafka({
          secure: {
            ...server,
            users: Object.entries(kafkaUsers).map(([mechanism, u]) => ({
              ...u,
              mechanism: mechanism as KafkaUserMechanism,
            })),
          },
        }),
    options.mosquitto === false
      ? undefined
      : startMosquitto({
          tls: { ...server, users: Object.values(mqttUsers) },
        }),
  ]);
  return {
    ca,
    strangerCa,
    kafka,
    mosquitto,
    kafkaUsers,
    mqttUsers,
    async stop() {
      await Promise.allSettled([kafka?.stop(), mosquitto?.stop()]);
    },
  };
}
