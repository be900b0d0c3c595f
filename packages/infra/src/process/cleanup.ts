/**
 * Last line of defence against orphans: whatever a caller forgets to stop is
 * stopped when this process ends, by a signal or normally.
 */
export interface Resource {
  name: string;
  /** Graceful, async stop used on SIGINT/SIGTERM. */
  stop(): Promise<void>;
  /** Synchronous best effort for the 'exit' event, where nothing async runs. */
  kill(): void;
}

const resources = new Set<Resource>();
let installed = false;
let shuttingDown = false;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
};

async function onSignal(signal: NodeJS.Signals) {
  if (shuttingDown) {
    // A second Ctrl-C means "now": skip graceful stops.
    killAllNow();
    process.exit(128 + SIGNAL_NUMBERS[signal]);
  }
  shuttingDown = true;
  await stopAll(30_000);
  process.exit(128 + SIGNAL_NUMBERS[signal]);
}

function install() {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

export function registerResource(resource: Resource): () => void {
  install();
  resources.add(resource);
  return () => resources.delete(resource);
}

export function killAllNow() {
  // Last registered first: servers die before the directories they live in are removed.
  for (const resource of [...resources].reverse()) {
    try {
      resource.kill();
    } catch {
      // Best effort while exiting.
    }
  }
  resources.clear();
}

/** Stops every registered resource in parallel; whatever exceeds the deadline is killed. */
export async function stopAll(deadlineMs: number): Promise<void> {
  const pending = [...resources];
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(pending.map(r => r.stop())),
    new Promise(resolve => {
      timer = setTimeout(resolve, deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  killAllNow();
}
