import type { PipelineHealthStatus } from '@homelab/plugin-streaming-common';
import { publicReason, redactInternals } from '../errors';
import { parsePrometheusText } from './promText';
import { reduceSamples, SnapshotHistory } from './window';
import type { PipelineServiceSettings } from './settings';

/** A metrics page or health answer larger than this is refused, not read. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** History kept per service: an hour for the DLQ count, plus one scrape. */
export const HISTORY_MS = 61 * 60_000;

export interface HealthReading {
  status: PipelineHealthStatus;
  reason?: string;
}

/** GETs a URL with a deadline and a size cap; redirects are refused so config stays the only source of addresses. */
async function getText(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    size += chunk.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader?.cancel();
      throw new Error(`answer larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk.value);
  }
  return {
    status: response.status,
    text: Buffer.concat(chunks).toString('utf8'),
  };
}

/**
 * Why a service says it is not ready, from its `/health` details: lists that
 * are not empty (e.g. `partitionsWaitingForDatabase: homelab.energy/0`) come
 * first, then flags that are false (e.g. `mqtt.connected: false`).
 */
export function notReadyReason(body: unknown): string {
  const lists: string[] = [];
  const flags: string[] = [];
  const visit = (path: string, value: unknown, depth: number) => {
    if (Array.isArray(value)) {
      if (value.length)
        lists.push(
          `${path}: ${value
            .slice(0, 5)
            .map(v => (typeof v === 'object' ? JSON.stringify(v) : String(v)))
            .join(', ')}${
            value.length > 5 ? ` and ${value.length - 5} more` : ''
          }`,
        );
    } else if (value === false) {
      flags.push(`${path}: false`);
    } else if (path.endsWith('crashed') && typeof value === 'string') {
      lists.unshift(`crashed: ${value}`);
    } else if (value && typeof value === 'object' && depth < 3) {
      for (const [k, v] of Object.entries(value))
        visit(path ? `${path}.${k}` : k, v, depth + 1);
    }
  };
  const report = (body ?? {}) as { live?: unknown; details?: unknown };
  visit('', report.details, 0);
  const parts = [
    ...(report.live === false ? ['not live'] : []),
    ...lists,
    ...flags,
  ];
  return redactInternals(parts.join('; ') || 'not ready (no details given)');
}

/**
 * One service's `/metrics` and `/health`, read every scrape interval. The
 * history holds the counters and histogram buckets the pipeline view uses;
 * the last failure is kept so the view can say why a figure is unknown.
 */
export class ServiceProbe {
  readonly history = new SnapshotHistory(HISTORY_MS);
  metricsError?: string;
  health: HealthReading = {
    status: 'unknown',
    reason: 'not scraped yet',
  };
  private lastScrape = 0;
  private inFlight?: Promise<void>;

  constructor(
    readonly settings: PipelineServiceSettings,
    private readonly timeoutMs: number,
  ) {}

  /** Scrapes unless a scrape is running or one finished less than `minAgeMs` ago. */
  refresh(minAgeMs: number): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (Date.now() - this.lastScrape < minAgeMs) return Promise.resolve();
    this.inFlight = this.scrape().finally(() => {
      this.lastScrape = Date.now();
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async scrape() {
    await Promise.all([this.scrapeMetrics(), this.scrapeHealth()]);
  }

  private async scrapeMetrics() {
    const { metricsUrl } = this.settings;
    if (!metricsUrl) {
      this.metricsError = `no metricsUrl configured for service ${this.settings.name}`;
      return;
    }
    try {
      const at = Date.now();
      const { status, text } = await getText(metricsUrl, this.timeoutMs);
      if (status !== 200) throw new Error(`/metrics answered HTTP ${status}`);
      // Node's default metrics change every scrape and are not pipeline figures.
      const values = reduceSamples(
        parsePrometheusText(text),
        name => !/^(process|nodejs)_/.test(name),
      );
      this.history.add({ at, values });
      this.metricsError = undefined;
    } catch (error) {
      this.metricsError = `metrics of ${
        this.settings.name
      } unreachable: ${publicReason(error)}`;
    }
  }

  private async scrapeHealth() {
    const { healthUrl } = this.settings;
    if (!healthUrl) {
      this.health = {
        status: 'unknown',
        reason: `no healthUrl configured for service ${this.settings.name}`,
      };
      return;
    }
    try {
      const { status, text } = await getText(healthUrl, this.timeoutMs);
      let body: { ready?: unknown; live?: unknown; status?: unknown };
      try {
        body = JSON.parse(text);
      } catch {
        this.health = {
          status: status === 200 ? 'ready' : 'not-ready',
          reason:
            status === 200 ? undefined : `/health answered HTTP ${status}`,
        };
        return;
      }
      const ready =
        status === 200 && body.ready !== false && body.live !== false;
      this.health = ready
        ? { status: 'ready' }
        : { status: 'not-ready', reason: notReadyReason(body) };
    } catch (error) {
      this.health = {
        status: 'unknown',
        reason: `health of ${this.settings.name} unreachable: ${publicReason(
          error,
        )}`,
      };
    }
  }
}
