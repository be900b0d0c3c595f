import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/*
 * PGlite is one PostgreSQL backend; pglite-socket 0.0.22 shares it among
 * clients by queueing their protocol messages, and keeps a client's turn only
 * while it is inside an explicit transaction. node-postgres sends every query
 * as Parse/Bind/Describe/Execute/Sync, so two clients' messages interleaved
 * and one client's Bind could meet another's Parse. This keeps the backend
 * with one client from its first extended-protocol message to its Sync (and
 * through a new connection's authentication), until the backend answers
 * ReadyForQuery, as a real server's separate sessions would, and lets
 * in-process work (the job scheduler) queue as one more session.
 */

interface Queued {
  handlerId: number;
  message: Uint8Array;
  resolve(reply: Uint8Array): void;
  reject(error: unknown): void;
}

/** The fields of pglite-socket 0.0.22's private QueryQueueManager that this relies on. */
interface QueryQueue {
  db: PGlite;
  queue: Queued[];
  processing: boolean;
  lastHandlerId: number | null;
  enqueue(handlerId: number, message: Uint8Array): Promise<Uint8Array>;
  processQueue(): Promise<void>;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

/** Frontend messages that leave an extended-protocol sequence open until Sync. */
const EXTENDED = new Set(
  ['P', 'B', 'D', 'E', 'C', 'H'].map(c => c.charCodeAt(0)),
);
const READY_FOR_QUERY = 'Z'.charCodeAt(0);

/** True when the backend's reply ends with ReadyForQuery: its turn is over. */
function endsReady(reply: Uint8Array): boolean {
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  let last = -1;
  for (let at = 0; at + 5 <= reply.length; at += 1 + view.getInt32(at + 1))
    last = reply[at];
  return last === READY_FOR_QUERY;
}
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

export interface Session {
  /** Sends one message as session `handlerId`, in turn with the socket clients. */
  send(handlerId: number, message: Uint8Array): Promise<Uint8Array>;
}

export function keepSessionsApart(server: PGLiteSocketServer): Session {
  const queue = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (
    !queue ||
    !Array.isArray(queue.queue) ||
    typeof queue.processQueue !== 'function'
  ) {
    throw new Error(
      'the installed @electric-sql/pglite-socket no longer has the query queue this server patches; pin 0.0.22 or update packages/infra/src/timescale/sessionQueue.ts',
    );
  }
  let openSequence = false;

  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length) {
        const holder = this.lastHandlerId;
        const held =
          holder !== null && (openSequence || this.db.isInTransaction());
        const index = held
          ? this.queue.findIndex(q => q.handlerId === holder)
          : 0;
        // The holder's next message has not arrived yet: the others wait, as for a transaction.
        if (index < 0) break;
        const [item] = this.queue.splice(index, 1);
        try {
          const reply = await this.db.runExclusive(() =>
            this.db.execProtocolRaw(item.message),
          );
          this.lastHandlerId = item.handlerId;
          // A connection's start-up (an authentication request, then the
          // password) is a sequence too: a query of another client in
          // between is answered as if it were the password, and that
          // client never sees ReadyForQuery. So the turn ends only with it.
          openSequence =
            !endsReady(reply) &&
            (reply.length > 0 || EXTENDED.has(item.message[0]));
          // The reply may be a view of PGlite's output buffer, which the next
          // message overwrites before this client's socket write copies it.
          item.resolve(reply.slice());
        } catch (error) {
          item.reject(error);
        }
      }
    } finally {
      this.processing = false;
    }
  };

  const clearTransaction = queue.clearTransactionIfNeeded.bind(queue);
  queue.clearTransactionIfNeeded = async function clear(
    this: QueryQueue,
    handlerId: number,
  ) {
    if (openSequence && this.lastHandlerId === handlerId) {
      // A client that left mid-sequence: Sync ends it (and any error state) for the next one.
      openSequence = false;
      await this.db
        .runExclusive(() => this.db.execProtocolRaw(SYNC))
        .catch(() => undefined);
    }
    await clearTransaction(handlerId);
    await this.processQueue();
  };

  return { send: (handlerId, message) => queue.enqueue(handlerId, message) };
}
