/**
 * One bench client process: opens its share of the WebSocket clients and
 * counts their latencies. The clients live outside the orchestrator so that
 * 20,000 of them fit under a per-process descriptor limit, and so that their
 * CPU cost is read from /proc apart from the producer's.
 *
 * Driven over the IPC channel by bench.ts:
 *   { cmd: 'open', url, count }  → { opened: count }
 *   { cmd: 'measure' }           → counting starts (connect-time frames are ignored)
 *   { cmd: 'count' }             → { received }
 *   { cmd: 'report' }            → { received, histogram: [[ms, count], ...] }
 */
import { WebSocket } from 'ws';
import { STREAMS } from '@homelab/pipeline-contracts';

/** Latencies are counted per millisecond up to this; anything slower lands in the last bucket. */
const HISTOGRAM_MAX_MS = 120_000;

type Command =
  | { cmd: 'open'; url: string; count: number }
  | { cmd: 'measure' }
  | { cmd: 'count' }
  | { cmd: 'report' };

const histogram = new Uint32Array(HISTOGRAM_MAX_MS + 1);
let received = 0;
let measuring = false;
const sockets: WebSocket[] = [];
const SENT_FIELD = Buffer.from('"bench_sent_ms":');

function onMessage(data: Buffer): void {
  if (!measuring) return;
  // A byte search instead of JSON.parse keeps the client side cheap: its CPU
  // competes with the server's on the same host.
  const at = data.indexOf(SENT_FIELD);
  if (at < 0) return;
  let sent = 0;
  for (let i = at + SENT_FIELD.length; i < data.length; i++) {
    const digit = data[i] - 48;
    if (digit < 0 || digit > 9) break;
    sent = sent * 10 + digit;
  }
  const latency = Math.max(0, Date.now() - sent);
  histogram[Math.min(latency, HISTOGRAM_MAX_MS)]++;
  received++;
}

function openClient(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', onMessage);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', streams: STREAMS }));
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

async function open(url: string, count: number): Promise<void> {
  // 100 at a time: the server's unauthenticated-connection cap and the
  // listen backlog would refuse a bigger wave.
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, () => openClient(url)),
    );
    sockets.push(...batch);
  }
}

function send(message: unknown): void {
  process.send!(message);
}

process.on('message', (command: Command) => {
  if (command.cmd === 'open')
    open(command.url, command.count).then(
      () => send({ opened: sockets.length }),
      (err: Error) => send({ error: `opening clients: ${err.message}` }),
    );
  else if (command.cmd === 'measure') measuring = true;
  else if (command.cmd === 'count') send({ received });
  else if (command.cmd === 'report') {
    const buckets: Array<[number, number]> = [];
    histogram.forEach((count, ms) => {
      if (count > 0) buckets.push([ms, count]);
    });
    send({ received, histogram: buckets });
  }
});
// The orchestrator going away ends the clients too.
process.on('disconnect', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
