import net from 'node:net';

/** Every component binds loopback only: tests and the dev stack never listen on a LAN address. */
export const HOST = '127.0.0.1';

// Ports handed out by this process but maybe not bound yet. Components start in
// parallel, and the kernel may return the same just-released port twice.
const handedOut = new Set<number>();

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const address = server.address();
      const bound =
        typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A loopback port that is free right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('Could not find a free TCP port on 127.0.0.1');
}

/**
 * Checks that a configured port can be bound, so a clash fails with a message
 * naming the port instead of a component's own, less obvious, bind error.
 */
export async function assertPortFree(
  port: number,
  what: string,
): Promise<number> {
  try {
    await listenOnce(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `${what}: port ${port} on ${HOST} is not available (${
        code ?? error
      }). Choose another port or stop what is using it.`,
    );
  }
  handedOut.add(port);
  return port;
}

/** The configured port when given (checked), otherwise a free one. */
export function portOrFree(
  port: number | undefined,
  what: string,
): Promise<number> {
  return port ? assertPortFree(port, what) : freePort();
}

/** Resolves once something accepts TCP connections on the port. */
export function canConnect(port: number, host = HOST): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}
