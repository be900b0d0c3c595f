import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import type { TopicLag } from '@homelab/plugin-streaming-common';
import type { OffsetSample } from './trend';

const TABLE = 'lag_samples';

const migrationsDir = resolvePackagePath(
  '@homelab/plugin-streaming-backend',
  'migrations',
);

/** The lag history in the plugin's own database, with bounded retention. */
export class LagStore {
  static async create(
    knex: Knex,
    options: { skipMigrations?: boolean } = {},
  ): Promise<LagStore> {
    if (!options.skipMigrations) {
      await knex.migrate.latest({
        directory: migrationsDir,
        tableName: 'streaming_knex_migrations',
      });
    }
    return new LagStore(knex);
  }

  private constructor(private readonly knex: Knex) {}

  async insert(
    cluster: string,
    group: string,
    at: Date,
    topics: TopicLag[],
  ): Promise<number> {
    const rows = topics.flatMap(t =>
      t.partitions.map(p => ({
        cluster,
        group_id: group,
        topic: t.topic,
        partition: p.partition,
        committed_offset: p.committedOffset,
        log_start_offset: p.logStartOffset,
        high_watermark: p.highWatermark,
        sampled_at: at,
      })),
    );
    if (rows.length) await this.knex.batchInsert(TABLE, rows, 500);
    return rows.length;
  }

  async samples(
    cluster: string,
    group: string,
    since: Date,
  ): Promise<OffsetSample[]> {
    const rows = await this.knex(TABLE)
      .where({ cluster, group_id: group })
      .andWhere('sampled_at', '>=', since)
      .orderBy('sampled_at', 'asc')
      .select(
        'topic',
        'partition',
        'committed_offset',
        'high_watermark',
        'sampled_at',
      );
    return rows.map(r => ({
      at: new Date(r.sampled_at).getTime(),
      topic: r.topic,
      partition: Number(r.partition),
      committed:
        r.committed_offset === null ? null : Number(r.committed_offset),
      high: Number(r.high_watermark),
    }));
  }

  /** Deletes samples older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    return this.knex(TABLE).where('sampled_at', '<', before).delete();
  }
}
