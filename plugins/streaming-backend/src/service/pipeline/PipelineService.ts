import type { Entity } from '@backstage/catalog-model';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  ANNOTATION_PIPELINE,
  EntityPipelineResponse,
  PipelineStage,
} from '@homelab/plugin-streaming-common';
import { TtlCache } from '../TtlCache';
import { publicReason } from '../errors';
import type { KafkaService } from '../kafka/KafkaService';
import type { TimescaleDatabases } from '../timescale/databases';
import { HISTORY_MS, ServiceProbe } from './probe';
import type { PipelineSettings, PipelineViewSettings } from './settings';
import { Snapshot, SnapshotHistory } from './window';
import { buildStages, KafkaReading, TableFreshness } from './stages';

/**
 * Measures each configured pipeline: scrapes the services' `/metrics` and
 * `/health` every scrape interval (and before answering, when the last scrape
 * is older), samples Kafka's high watermarks and group lag through the
 * shared KafkaService, and reads the newest row of each hypertable.
 */
export class PipelineService {
  private readonly probes = new Map<string, ServiceProbe>();
  private readonly kafkaHistories = new Map<string, SnapshotHistory>();
  private readonly kafkaErrors = new Map<string, string | undefined>();
  private readonly kafkaInFlight = new Map<string, Promise<void>>();
  private readonly kafkaLastRead = new Map<string, number>();
  private readonly freshness: TtlCache<TableFreshness[]>;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly settings: PipelineViewSettings,
    private readonly kafka: KafkaService,
    private readonly databases: TimescaleDatabases,
    private readonly logger: LoggerService,
  ) {
    for (const s of settings.services.values())
      this.probes.set(s.name, new ServiceProbe(s, settings.timeoutMs));
    for (const name of settings.pipelines.keys())
      this.kafkaHistories.set(name, new SnapshotHistory(HISTORY_MS));
    this.freshness = new TtlCache(Math.min(settings.scrapeIntervalMs, 5000));
  }

  /** Scrapes in the background, so rates and the DLQ hour exist before anyone looks. */
  start() {
    if (!this.settings.pipelines.size || this.timer) return;
    const tick = () => {
      this.refreshAll().catch(error =>
        this.logger.warn(`pipeline scrape failed: ${error}`),
      );
    };
    tick();
    this.timer = setInterval(tick, this.settings.scrapeIntervalMs);
    this.timer.unref();
  }

  /** Waits for Kafka reads in flight, so none opens a client after the clusters closed. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.kafkaInFlight.values()]);
  }

  private async refreshAll() {
    await Promise.all(
      [...this.settings.pipelines.values()].map(p => this.refresh(p)),
    );
  }

  /** Half an interval: a request right after a scheduled scrape reuses it. */
  private get minAgeMs() {
    return this.settings.scrapeIntervalMs / 2;
  }

  private refresh(pipeline: PipelineSettings): Promise<unknown> {
    const services = [
      pipeline.devices,
      pipeline.bridge,
      pipeline.sink?.service,
      pipeline.live?.service,
    ].filter((s): s is string => Boolean(s));
    return Promise.all([
      ...services.map(s => this.probes.get(s)!.refresh(this.minAgeMs)),
      this.refreshKafka(pipeline),
    ]);
  }

  private refreshKafka(pipeline: PipelineSettings): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const running = this.kafkaInFlight.get(pipeline.name);
    if (running) return running;
    if (
      Date.now() - (this.kafkaLastRead.get(pipeline.name) ?? 0) <
      this.minAgeMs
    )
      return Promise.resolve();
    const done = this.readKafka(pipeline).finally(() => {
      this.kafkaLastRead.set(pipeline.name, Date.now());
      this.kafkaInFlight.delete(pipeline.name);
    });
    this.kafkaInFlight.set(pipeline.name, done);
    return done;
  }

  /** High watermarks of the pipeline's topics (and its DLQ) and each group's lag, as one snapshot. */
  private async readKafka(pipeline: PipelineSettings) {
    const groups = [pipeline.sink, pipeline.live].filter(
      (c): c is NonNullable<typeof c> => Boolean(c),
    );
    if (!groups.length) {
      this.kafkaErrors.set(
        pipeline.name,
        'no consumer group configured for this pipeline (sink or live)',
      );
      return;
    }
    const at = Date.now();
    const values: Snapshot['values'] = {};
    const topics = [
      ...pipeline.topics,
      ...(pipeline.dlqTopic ? [pipeline.dlqTopic] : []),
    ];
    try {
      for (const [i, c] of groups.entries()) {
        if (this.stopped) return;
        // The first group's read also brings the DLQ topic's watermarks.
        const offsets = await this.kafka.readGroup(
          pipeline.kafkaCluster,
          c.consumerGroup,
          i === 0 ? topics : pipeline.topics,
        );
        let lag = 0;
        let uncommitted = 0;
        for (const t of offsets.topics) {
          if (t.error) continue;
          const hw = t.partitions.reduce((s, p) => s + p.highWatermark, 0);
          if (topics.includes(t.topic)) values[`hw:${t.topic}`] = hw;
          if (!pipeline.topics.includes(t.topic)) continue;
          lag += t.totalLag;
          // A group commits nothing on a partition it never got a record from: an empty one has nothing waiting.
          uncommitted += t.partitions.filter(
            p => p.lag === null && p.highWatermark > p.logStartOffset,
          ).length;
        }
        // Partitions without a committed offset have no lag to add: say so rather than count them as 0.
        if (uncommitted === 0) values[`lag:${c.consumerGroup}`] = lag;
        else values[`uncommitted:${c.consumerGroup}`] = uncommitted;
      }
      this.kafkaHistories.get(pipeline.name)!.add({ at, values });
      this.kafkaErrors.set(pipeline.name, undefined);
    } catch (error) {
      this.kafkaErrors.set(
        pipeline.name,
        `Kafka cluster ${pipeline.kafkaCluster} unreachable: ${publicReason(
          error,
        )}`,
      );
    }
  }

  private readFreshness(pipeline: PipelineSettings): Promise<TableFreshness[]> {
    const database = pipeline.database;
    if (!database) return Promise.resolve([]);
    return this.freshness.get(pipeline.name, async () => {
      const pool = this.databases.pool(database);
      return Promise.all(
        pipeline.hypertables.map(async (table): Promise<TableFreshness> => {
          try {
            // to_regclass keeps the configured name a name, never SQL.
            const found = await pool.query<{ quoted: string | null }>(
              'SELECT to_regclass($1)::text AS quoted',
              [table],
            );
            const quoted = found.rows[0]?.quoted;
            if (!quoted)
              return {
                table,
                newest: null,
                error: `table ${table} does not exist yet`,
              };
            const { rows } = await pool.query<{ newest: Date | null }>(
              `SELECT max(ts) AS newest FROM ${quoted}`,
            );
            return { table, newest: rows[0]?.newest ?? null };
          } catch (error) {
            return { table, newest: null, error: publicReason(error) };
          }
        }),
      );
    });
  }

  /** The pipeline the entity's annotation names; a 400 naming the configured ones otherwise. */
  pipelineOf(entity: Entity): PipelineSettings {
    const name = entity.metadata.annotations?.[ANNOTATION_PIPELINE]?.trim();
    const known = [...this.settings.pipelines.keys()];
    const pipeline = name ? this.settings.pipelines.get(name) : undefined;
    if (!pipeline)
      throw new InputError(
        `annotation ${ANNOTATION_PIPELINE} ${
          name ? `names pipeline "${name}"` : 'is missing'
        }; configured pipelines are ${
          known.length
            ? known.map(n => `"${n}"`).join(', ')
            : 'none (add streaming.pipeline.pipelines to app-config)'
        }`,
      );
    return pipeline;
  }

  async forEntity(entity: Entity): Promise<EntityPipelineResponse> {
    const pipeline = this.pipelineOf(entity);
    await this.refresh(pipeline);
    const probe = (name?: string) => (name ? this.probes.get(name) : undefined);
    let tables: TableFreshness[] | { error: string };
    try {
      tables = await this.readFreshness(pipeline);
    } catch (error) {
      tables = { error: publicReason(error) };
    }
    const stages: PipelineStage[] = buildStages({
      pipeline,
      now: Date.now(),
      devices: probe(pipeline.devices),
      bridge: probe(pipeline.bridge),
      sink: probe(pipeline.sink?.service),
      live: probe(pipeline.live?.service),
      kafka: {
        history: this.kafkaHistories.get(pipeline.name)!,
        error: this.kafkaErrors.get(pipeline.name),
      } satisfies KafkaReading,
      tables,
    });
    return {
      entityRef: stringifyEntityRef(entity),
      pipeline: pipeline.name,
      fetchedAt: new Date().toISOString(),
      scrapeIntervalSeconds: this.settings.scrapeIntervalMs / 1000,
      stages,
    };
  }
}
