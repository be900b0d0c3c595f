import type { Entity } from '@backstage/catalog-model';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  ANNOTATION_HYPERTABLES,
  ClusterRef,
  EntityTimescaleResponse,
  HistoryBucket,
  HypertableHistoryResponse,
  HypertableStats,
  parseHypertables,
} from '@homelab/plugin-streaming-common';
import { TtlCache } from '../TtlCache';
import { parseAnnotation } from '../parseAnnotation';
import { TimescaleDatabases } from './databases';
import { DatabaseFeatures, databaseFeatures, resolveTable } from './catalog';
import { tableStats } from './stats';
import { tableHistory } from './history';

const errorText = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/**
 * Builds an entity's TimescaleDB view from its hypertables annotation. A table
 * that fails carries its error; the others still show.
 */
export class TimescaleService {
  private readonly features: TtlCache<DatabaseFeatures>;
  private readonly stats: TtlCache<HypertableStats>;
  private readonly histories: TtlCache<HypertableHistoryResponse>;

  constructor(
    private readonly databases: TimescaleDatabases,
    cacheTtlMs = 5000,
  ) {
    // Installing the extension is rare; re-check once a minute, not per request.
    this.features = new TtlCache(60_000);
    this.stats = new TtlCache(cacheTtlMs);
    this.histories = new TtlCache(Math.max(cacheTtlMs, 30_000));
  }

  /** Parses the annotation and checks every database name; throws a 400 naming the valid ones. */
  targets(entity: Entity): ClusterRef[] {
    const refs = parseAnnotation(() =>
      parseHypertables(entity.metadata.annotations),
    );
    for (const ref of refs)
      this.databases.pool(ref.cluster, ANNOTATION_HYPERTABLES);
    return refs;
  }

  private featuresOf(database: string) {
    return this.features.get(database, () =>
      databaseFeatures(this.databases.pool(database)),
    );
  }

  async forEntity(entity: Entity): Promise<EntityTimescaleResponse> {
    const refs = this.targets(entity);
    const names = [...new Set(refs.map(r => r.cluster))];
    const databases = await Promise.all(
      names.map(async name => {
        try {
          return { name, ...(await this.featuresOf(name)) };
        } catch {
          return { name, timescale: false };
        }
      }),
    );
    const tables = await Promise.all(
      refs.map(ref =>
        this.stats
          .get(`${ref.cluster}\u0000${ref.name}`, () => this.readStats(ref))
          .catch(
            (error): HypertableStats => ({
              database: ref.cluster,
              table: ref.name,
              timescale: false,
              error: `cannot read ${ref.cluster}/${ref.name}: ${errorText(
                error,
              )}`,
            }),
          ),
      ),
    );
    return {
      entityRef: stringifyEntityRef(entity),
      fetchedAt: new Date().toISOString(),
      databases,
      tables,
    };
  }

  private async readStats(ref: ClusterRef): Promise<HypertableStats> {
    const pool = this.databases.pool(ref.cluster);
    const features = await this.featuresOf(ref.cluster);
    const table = await resolveTable(pool, ref.name);
    if (!table) {
      return {
        database: ref.cluster,
        table: ref.name,
        timescale: false,
        error: `table ${ref.name} does not exist in database "${ref.cluster}" (has the sink created it yet?)`,
      };
    }
    return tableStats(pool, ref.cluster, features, table);
  }

  /** `table` is `<database>/<table>` and must be one of the entity's annotated tables. */
  async history(
    entity: Entity,
    table: string,
    bucket: HistoryBucket,
    hours?: number,
  ) {
    const refs = this.targets(entity);
    const ref = refs.find(r => `${r.cluster}/${r.name}` === table);
    if (!ref) {
      throw new InputError(
        `table "${table}" is not in the entity's ${ANNOTATION_HYPERTABLES} annotation; its tables are ${
          refs.map(r => `"${r.cluster}/${r.name}"`).join(', ') || 'none'
        }`,
      );
    }
    return this.histories.get(
      `${table}\u0000${bucket}\u0000${hours ?? ''}`,
      async () => {
        const pool = this.databases.pool(ref.cluster);
        const resolved = await resolveTable(pool, ref.name);
        if (!resolved)
          throw new NotFoundError(
            `table ${ref.name} does not exist in database "${ref.cluster}"`,
          );
        return tableHistory(
          pool,
          ref.cluster,
          await this.featuresOf(ref.cluster),
          resolved,
          bucket,
          hours,
        );
      },
    );
  }
}
