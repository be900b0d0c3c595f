import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseConfig } from './config';
import {
  explainKafkaFailure,
  kafkaSaslSchema,
  kafkaSslSchema,
} from './kafkaConnection';
import {
  explainMqttFailure,
  mqttSecurityShape,
  resolveMqttSecurity,
} from './mqttConnection';
import {
  explainPostgresFailure,
  postgresTlsShape,
  resolvePostgresSsl,
} from './postgresConnection';

const dir = mkdtempSync(path.join(tmpdir(), 'connections-test-'));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
const caFile = file('ca.pem', 'CA PEM');
const passwordFile = file('password', 'from-file\n');

const kafka = () =>
  z.object({
    kafka: z.object({
      ssl: kafkaSslSchema().optional(),
      sasl: kafkaSaslSchema().optional(),
    }),
  });
const mqtt = z.object({
  mqtt: z
    .object({ url: z.string(), ...mqttSecurityShape() })
    .transform((m, ctx) => resolveMqttSecurity(m, ctx)),
});
const database = z.object({
  database: z
    .object(postgresTlsShape())
    .transform((d, ctx) => resolvePostgresSsl(d, ctx)),
});
const message = (schema: z.ZodType, input: unknown) => {
  try {
    parseConfig(schema, input, 'test');
  } catch (e) {
    return (e as Error).message;
  }
  return 'valid';
};

describe('kafka ssl and sasl', () => {
  it('reads the CA and the password from files, also under the older snake_case keys', () => {
    expect(
      parseConfig(
        kafka(),
        {
          kafka: {
            ssl: { ca_file: caFile, servername: 'kafka.example' },
            sasl: {
              mechanism: 'scram-sha-512',
              username: 'u',
              password_file: passwordFile,
            },
          },
        },
        'test',
        { keyAliases: 'snake' },
      ).kafka,
    ).toEqual({
      ssl: {
        ca: ['CA PEM'],
        servername: 'kafka.example',
        rejectUnauthorized: true,
      },
      sasl: {
        mechanism: 'scram-sha-512',
        username: 'u',
        password: 'from-file',
      },
    });
    expect(
      parseConfig(kafka(), { kafka: { ssl: 'true' } }, 'test').kafka.ssl,
    ).toEqual({
      rejectUnauthorized: true,
    });
    expect(
      parseConfig(kafka(), { kafka: { ssl: 'false' } }, 'test').kafka.ssl,
    ).toBeUndefined();
  });

  it.each([
    [
      { ssl: { caFile: '/no/such/ca.pem' } },
      'kafka.ssl.caFile: cannot read /no/such/ca.pem: ENOENT',
    ],
    [
      { ssl: { ca: 'x', caFile } },
      'kafka.ssl.caFile: give either ca or caFile, not both',
    ],
    [
      { ssl: { rejectUnauthorized: false } },
      'kafka.ssl.rejectUnauthorized: cannot be turned off',
    ],
    [
      { ssl: { certFile: caFile } },
      'kafka.ssl.keyFile: a client certificate needs both cert and key',
    ],
    [
      { sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } },
      'kafka.sasl.mechanism: must be plain, scram-sha-256 or scram-sha-512',
    ],
    [
      { sasl: { mechanism: 'plain', username: 'u', password: '' } },
      'kafka.sasl.password: is required with sasl',
    ],
    [
      { sasl: { mechanism: 'plain', username: 'u', passwrd: 'p' } },
      'kafka.sasl: Unrecognized key: "passwrd"',
    ],
  ])('%j is refused naming the key', (input, expected) => {
    expect(message(kafka(), { kafka: input })).toContain(
      `config error: ${expected}`,
    );
  });

  it('names the setting behind a refused connection, and nothing for an unreachable broker', () => {
    const security = {
      ssl: { rejectUnauthorized: true as const },
      sasl: { mechanism: 'plain' as const, username: 'u', password: 'p' },
    };
    const names = { prefix: 'kafka' };
    const sasl = Object.assign(
      new Error('SASL PLAIN authentication failed: bad'),
      {
        name: 'KafkaJSSASLAuthenticationError',
      },
    );
    expect(explainKafkaFailure(sasl, security, names)).toMatch(
      /^kafka\.sasl\.password: authentication failed for user "u" with plain; .*passwordFile/,
    );
    const untrusted = Object.assign(new Error('retries exceeded'), {
      cause: Object.assign(
        new Error('self-signed certificate in certificate chain'),
        { code: 'SELF_SIGNED_CERT_IN_CHAIN' },
      ),
    });
    expect(explainKafkaFailure(untrusted, security, names)).toMatch(
      /^kafka\.ssl\.ca: certificate verify failed \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
    const alert = Object.assign(
      new Error('ssl3_read_bytes:tlsv13 alert certificate required'),
      { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
    );
    expect(explainKafkaFailure(alert, security, names)).toMatch(
      /^kafka\.ssl\.certFile: the server refused the client certificate .*give certFile and keyFile/,
    );
    expect(
      explainKafkaFailure(new Error('Closed connection'), {}, names),
    ).toMatch(/^kafka\.ssl: the broker closed the connection/);
    expect(
      explainKafkaFailure(
        Object.assign(new Error('connect ECONNREFUSED'), {
          code: 'ECONNREFUSED',
        }),
        {},
        names,
      ),
    ).toBeUndefined();
  });
});

describe('mqtt credentials and tls', () => {
  it('takes an empty password as unset and reads files', () => {
    expect(
      parseConfig(
        mqtt,
        { mqtt: { url: 'mqtt://h:1', username: '', password: '' } },
        'test',
      ).mqtt,
    ).toEqual({
      rejectUnauthorized: true,
    });
    expect(
      parseConfig(
        mqtt,
        {
          mqtt: {
            url: 'mqtts://h:8883',
            username: 'u',
            passwordFile,
            tls: { caFile },
          },
        },
        'test',
      ).mqtt,
    ).toEqual({
      username: 'u',
      password: 'from-file',
      ca: ['CA PEM'],
      rejectUnauthorized: true,
    });
  });

  it.each([
    [
      { url: 'mqtt://h:1', tls: { caFile } },
      'mqtt.url: is mqtt:// but tls is set; use mqtts://',
    ],
    [
      { url: 'mqtts://h:1', password: 'p' },
      'mqtt.username: is required when a password is given',
    ],
    [
      { url: 'mqtts://h:1', tls: { caFile: '/nope' } },
      'mqtt.tls.caFile: cannot read /nope',
    ],
  ])('%j is refused naming the key', (input, expected) => {
    expect(message(mqtt, { mqtt: input })).toContain(
      `config error: ${expected}`,
    );
  });

  it('names the setting behind a refused CONNECT', () => {
    const names = { prefix: 'mqtt' };
    const target = { url: 'mqtts://h:1', username: 'u', tls: true };
    expect(
      explainMqttFailure(
        Object.assign(new Error('Bad User Name or Password'), { code: 134 }),
        target,
        names,
      ),
    ).toMatch(/^mqtt\.password: authentication failed for user "u"/);
    expect(
      explainMqttFailure(
        Object.assign(new Error('Not authorized'), { code: 5 }),
        { ...target, username: undefined },
        names,
      ),
    ).toMatch(/^mqtt\.username: the broker refuses anonymous clients/);
    expect(
      explainMqttFailure(
        Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
        target,
        names,
      ),
    ).toMatch(/^mqtt\.tls\.servername:/);
    expect(
      explainMqttFailure(
        Object.assign(new Error('connect ECONNREFUSED'), {
          code: 'ECONNREFUSED',
        }),
        target,
        names,
      ),
    ).toBeUndefined();
  });
});

describe('postgres sslmode', () => {
  const ssl = (db: unknown) =>
    parseConfig(database, { database: db }, 'test').database;

  it('maps libpq sslmodes onto pg options', () => {
    expect(ssl({})).toBe(false);
    expect(ssl({ sslmode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(ssl({ sslmode: 'verify-full', sslrootcert: caFile })).toEqual({
      rejectUnauthorized: true,
      ca: 'CA PEM',
    });
    const verifyCa = ssl({ sslmode: 'verify-ca', sslrootcert: caFile }) as any;
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: 'CA PEM' });
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
  });

  it('refuses verification without a CA, naming the key', () => {
    expect(
      message(database, { database: { sslmode: 'verify-full' } }),
    ).toContain(
      'config error: database.sslrootcert: is required with sslmode: verify-full',
    );
    expect(message(database, { database: { sslmode: 'prefer' } })).toContain(
      'config error: database.sslmode: must be one of',
    );
  });

  it('names the setting behind a refused connection', () => {
    const names = { prefix: 'database' };
    expect(
      explainPostgresFailure(
        new Error('The server does not support SSL connections'),
        names,
      ),
    ).toMatch(/^database\.sslmode: /);
    expect(
      explainPostgresFailure(
        new Error('self-signed certificate in certificate chain'),
        names,
      ),
    ).toMatch(/^database\.sslrootcert: certificate verify failed/);
    expect(
      explainPostgresFailure(
        Object.assign(
          new Error('password authentication failed for user "x"'),
          { code: '28P01' },
        ),
        names,
      ),
    ).toMatch(/^database\.password: /);
  });
});
