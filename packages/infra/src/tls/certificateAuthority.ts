import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireBinary } from '../process/binaries';
import { runOrThrow } from '../process/run';
import { makeRunDir } from '../tmp';

export const OPENSSL_BIN =
  process.env.HOMELAB_OPENSSL_BIN ?? '/usr/bin/openssl';

export interface IssuedCertificate {
  /** PEM files; the key is unencrypted PKCS#8, which Kafka's PEM keystore and Mosquitto both read. */
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface CertificateAuthority {
  /** The CA certificate a client trusts. */
  caFile: string;
  ca: string;
  dir: string;
  /** A server certificate for the given DNS names and IP addresses, signed by this CA. */
  issueServer(name: string, hosts?: string[]): Promise<IssuedCertificate>;
  /** A client certificate (for mutual TLS) with the given common name. */
  issueClient(name: string): Promise<IssuedCertificate>;
}

const IP = /^\d{1,3}(\.\d{1,3}){3}$|:/;

/**
 * A throw-away certificate authority made with Debian's openssl, for tests of
 * TLS listeners. Nothing about it is trusted outside the test that made it.
 */
export async function createCertificateAuthority(
  name = 'homelab-test-ca',
  dir: string = makeRunDir('tls'),
): Promise<CertificateAuthority> {
  const openssl = requireBinary({
    binary: OPENSSL_BIN,
    providedBy: 'openssl (Debian package)',
  });
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.crt');
  const ssl = (what: string, args: string[]) =>
    runOrThrow(what, openssl, args, { cwd: dir, timeoutMs: 60_000 });
  // P-256 keys: quick to make, and read by Kafka's PEM keystore, Mosquitto and Node.
  const newKey = (what: string, file: string) =>
    ssl(what, [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      file,
    ]);
  await newKey('Creating the test CA key', caKey);
  await ssl('Creating the test CA certificate', [
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-sha256',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    caFile,
  ]);

  let serial = 0;
  async function issue(
    label: string,
    extensions: string[],
  ): Promise<IssuedCertificate> {
    serial++;
    const base = path.join(
      dir,
      `${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-${serial}`,
    );
    const keyFile = `${base}.key`;
    const csr = `${base}.csr`;
    const certFile = `${base}.crt`;
    const ext = `${base}.ext`;
    writeFileSync(ext, `${extensions.join('\n')}\n`);
    await newKey(`Creating a key for ${label}`, keyFile);
    await ssl(`Creating a request for ${label}`, [
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      `/CN=${label}`,
      '-out',
      csr,
    ]);
    await ssl(`Signing ${label}`, [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      '-set_serial',
      String(serial + 1000),
      '-days',
      '2',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      certFile,
    ]);
    return {
      certFile,
      keyFile,
      cert: readFileSync(certFile, 'utf8'),
      key: readFileSync(keyFile, 'utf8'),
    };
  }

  return {
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    dir,
    issueServer: (label, hosts = ['localhost', '127.0.0.1']) =>
      issue(label, [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${hosts
          .map(h => (IP.test(h) ? `IP:${h}` : `DNS:${h}`))
          .join(',')}`,
      ]),
    issueClient: label =>
      issue(label, [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=clientAuth',
      ]),
  };
}
