import { z } from 'zod';
import { inlineOrFile, optionalText, TlsFailure } from './secretSource';

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
export function tlsFileFields() {
  const pem = z.string().min(1);
  return {
    ca: z.union([pem, z.array(pem).min(1)]).optional(),
    caFile: optionalText,
    cert: optionalText,
    certFile: optionalText,
    key: optionalText,
    keyFile: optionalText,
    servername: optionalText,
  };
}

/** Reads the files of a block validated with tlsFileFields; issues name keys under `path`. */
export function resolveTlsFiles(
  block: Record<string, any>,
  ctx: z.RefinementCtx,
  path: string[] = [],
): ClientTlsMaterial {
  const read = (inline: string, file: string) =>
    inlineOrFile(
      { inline: block[inline], file: block[file] },
      { inline, file },
      ctx,
      path,
    );
  const caInline = block.ca === undefined ? undefined : [block.ca].flat();
  const caFromFile = inlineOrFile(
    { file: block.caFile },
    { inline: 'ca', file: 'caFile' },
    ctx,
    path,
  );
  if (caInline && caFromFile !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'caFile'],
      message: `give either ca or caFile, not both`,
    });
  const ca = caFromFile !== undefined ? [caFromFile] : caInline;
  const cert = read('cert', 'certFile');
  const key = read('key', 'keyFile');
  if ((cert === undefined) !== (key === undefined))
    ctx.addIssue({
      code: 'custom',
      path: [...path, cert === undefined ? 'certFile' : 'keyFile'],
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
  handshake: string,
): string {
  switch (failure.kind) {
    case 'untrusted':
      return `${block}.ca: ${failure.detail}; give the CA that signed the server's certificate in ${block}.caFile`;
    case 'clientCertificate':
      return `${block}.certFile: ${failure.detail}; give certFile and keyFile signed by a CA the server trusts`;
    case 'hostname':
      return `${block}.servername: ${failure.detail}; connect by a name the certificate holds, or set ${block}.servername`;
    default:
      return `${handshake}: ${failure.detail}; is this a plaintext listener? ${
        handshake === block ? `Remove ${block}` : 'Use the plain scheme'
      } or the server's TLS port`;
  }
}
