import { z } from 'zod';
import {
  ConfigCasing,
  inlineOrFile,
  keyName,
  optionalText,
  TlsFailure,
} from './secretSource';

/** The TLS material of a client: what Node's tls.connect takes. */
export interface ClientTlsMaterial {
  ca?: string[];
  cert?: string;
  key?: string;
  servername?: string;
}

/**
 * The keys Kafka's `ssl` and MQTT's `tls` blocks share: `ca` (one PEM or a
 * list) or `caFile`, `cert`/`certFile`, `key`/`keyFile`, and `servername`.
 */
export function tlsFileFields(casing: ConfigCasing) {
  const k = (name: string) => keyName(casing, name);
  const pem = z.string().min(1);
  return {
    ca: z.union([pem, z.array(pem).min(1)]).optional(),
    [k('caFile')]: optionalText,
    cert: optionalText,
    [k('certFile')]: optionalText,
    key: optionalText,
    [k('keyFile')]: optionalText,
    servername: optionalText,
  };
}

/** Reads the files of a block validated with tlsFileFields; issues name keys under `path`. */
export function resolveTlsFiles(
  block: Record<string, any>,
  casing: ConfigCasing,
  ctx: z.RefinementCtx,
  path: string[] = [],
): ClientTlsMaterial {
  const k = (name: string) => keyName(casing, name);
  const read = (inline: string, file: string) =>
    inlineOrFile(
      { inline: block[inline], file: block[k(file)] },
      { inline, file: k(file) },
      ctx,
      path,
    );
  const caInline = block.ca === undefined ? undefined : [block.ca].flat();
  const caFromFile = inlineOrFile(
    { file: block[k('caFile')] },
    { inline: 'ca', file: k('caFile') },
    ctx,
    path,
  );
  if (caInline && caFromFile !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: [...path, k('caFile')],
      message: `give either ca or ${k('caFile')}, not both`,
    });
  const ca = caFromFile !== undefined ? [caFromFile] : caInline;
  const cert = read('cert', 'certFile');
  const key = read('key', 'keyFile');
  if ((cert === undefined) !== (key === undefined))
    ctx.addIssue({
      code: 'custom',
      path: [...path, cert === undefined ? k('certFile') : k('keyFile')],
      message: 'a client certificate needs both cert and key',
    });
  return {
    ...(ca && { ca }),
    ...(cert && { cert }),
    ...(key && { key }),
    ...(block.servername && { servername: block.servername }),
  };
}

/**
 * The setting behind a TLS failure of a block built with tlsFileFields
 * (`block` is its key, e.g. `kafka.ssl`); `handshake` names what to change
 * when the other side does not speak TLS at all.
 */
export function describeTlsFailure(
  failure: TlsFailure,
  block: string,
  casing: ConfigCasing,
  handshake: string,
): string {
  const k = (name: string) => keyName(casing, name);
  switch (failure.kind) {
    case 'untrusted':
      return `${block}.ca: ${
        failure.detail
      }; give the CA that signed the server's certificate in ${block}.${k(
        'caFile',
      )}`;
    case 'clientCertificate':
      return `${block}.${k('certFile')}: ${failure.detail}; give ${k(
        'certFile',
      )} and ${k('keyFile')} signed by a CA the server trusts`;
    case 'hostname':
      return `${block}.servername: ${failure.detail}; connect by a name the certificate holds, or set ${block}.servername`;
    default:
      return `${handshake}: ${failure.detail}; is this a plaintext listener? ${
        handshake === block ? `Remove ${block}` : 'Use the plain scheme'
      } or the server's TLS port`;
  }
}
