#!/usr/bin/env node
// Stops what scripts/dev-stack.mjs started when dev-stack itself cannot:
// killed with SIGKILL (homelab-infra does that on a second Ctrl-C), crashed,
// or its terminal closed. dev-stack starts this in a process group of its
// own and writes `+<pgid>` for every child group to our stdin; `done` means
// it stopped them itself. End of stdin without `done` means dev-stack died:
// every group gets SIGTERM, and SIGKILL after a grace period.
import { createInterface } from 'node:readline';

const GRACE_MS = 10_000;
const groups = new Set();
let done = false;

// Ctrl-C and a closing terminal are dev-stack's to handle; we only follow stdin.
for (const signal of ['SIGINT', 'SIGHUP']) process.on(signal, () => undefined);

const alive = pgid => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

const signalAll = signal => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // already gone
    }
  }
};

const lines = createInterface({ input: process.stdin });
lines.on('line', line => {
  if (line === 'done') done = true;
  const pgid = /^\+(\d+)$/.exec(line)?.[1];
  if (pgid) groups.add(Number(pgid));
});
lines.on('close', async () => {
  if (done || ![...groups].some(alive)) process.exit(0);
  console.error(
    `[dev-stack-reaper] dev-stack is gone; stopping ${groups.size} process groups`,
  );
  signalAll('SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while ([...groups].some(alive) && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 200));
  }
  signalAll('SIGKILL');
  process.exit(0);
});
