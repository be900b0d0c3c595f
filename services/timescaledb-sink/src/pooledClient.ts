import type { Pool, PoolClient } from 'pg';
import { sqlState } from './errors';

/**
 * An error without a SQLSTATE (a reset socket, our COPY timeout) did not come
 * from the server's SQL layer: the connection cannot be trusted any more.
 */
export const isConnectionLevel = (e: unknown) => sqlState(e) === undefined;

/**
 * A checked-out client has no error listener of the pool's, and pg emits a
 * dropped connection as an 'error' event: unheard, it would end the process.
 * This keeps the error for release() (which then closes the client); the
 * query in flight is rejected with it as well.
 */
export async function withClient<T>(
  pool: Pool,
  use: (client: PoolClient, markBroken: (e: Error) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const markBroken = (e: Error) => {
    broken ??= e;
  };
  client.on('error', markBroken);
  try {
    return await use(client, markBroken);
  } catch (e) {
    if (isConnectionLevel(e)) markBroken(e as Error);
    throw e;
  } finally {
    client.removeListener('error', markBroken);
    client.release(broken);
  }
}
