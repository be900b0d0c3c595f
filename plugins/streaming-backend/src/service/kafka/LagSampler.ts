import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_KAFKA_CONSUMER_GROUPS,
  parseConsumerGroups,
  parseTopics,
} from '@homelab/plugin-streaming-common';
import { KafkaClusters } from './clusters';
import { readGroupOffsets } from './groups';
import { LagStore } from './LagStore';

export interface SampledGroup {
  cluster: string;
  group: string;
  /** Topics the annotating entities say they consume, so never-committed partitions are sampled too. */
  extraTopics: string[];
}

/**
 * Samples the offsets of every group that a catalog entity names in
 * `kafka.apache.org/consumer-groups`, plus the groups listed in
 * `streaming.kafka.lagSampling.groups`, and prunes samples past retention.
 * The catalog decides what is sampled so a new service's group gets a
 * history as soon as its entity is registered, without config changes.
 */
export class LagSampler {
  constructor(
    private readonly options: {
      clusters: KafkaClusters;
      store: LagStore;
      catalog?: CatalogService;
      auth?: AuthService;
      configuredGroups: string[];
      retentionMs: number;
      logger: LoggerService;
    },
  ) {}

  async groups(): Promise<SampledGroup[]> {
    const { clusters, catalog, auth, logger, configuredGroups } = this.options;
    const found = new Map<string, SampledGroup>();
    const add = (cluster: string, group: string, extraTopics: string[]) => {
      if (!clusters.names().includes(cluster)) return;
      const k = `${cluster}/${group}`;
      const entry = found.get(k) ?? { cluster, group, extraTopics: [] };
      entry.extraTopics = [
        ...new Set([...entry.extraTopics, ...extraTopics]),
      ].sort();
      found.set(k, entry);
    };
    for (const ref of configuredGroups) {
      const [cluster, ...rest] = ref.split('/');
      if (cluster && rest.length) add(cluster, rest.join('/'), []);
    }
    if (catalog && auth) {
      const { items } = await catalog.getEntities(
        {
          filter: {
            [`metadata.annotations.${ANNOTATION_KAFKA_CONSUMER_GROUPS}`]:
              CATALOG_FILTER_EXISTS,
          },
          fields: [
            'kind',
            'metadata.name',
            'metadata.namespace',
            'metadata.annotations',
          ],
        },
        { credentials: await auth.getOwnServiceCredentials() },
      );
      for (const entity of items) {
        try {
          const consumes = parseTopics(entity.metadata.annotations).consumes;
          for (const g of parseConsumerGroups(entity.metadata.annotations)) {
            add(
              g.cluster,
              g.name,
              consumes.filter(t => t.cluster === g.cluster).map(t => t.name),
            );
          }
        } catch (error) {
          logger.warn(
            `lag sampling skips ${stringifyEntityRef(entity)}: ${error}`,
          );
        }
      }
    }
    return [...found.values()];
  }

  async run(
    now = new Date(),
  ): Promise<{ groups: number; rows: number; pruned: number; failed: number }> {
    const { clusters, store, logger, retentionMs } = this.options;
    const groups = await this.groups();
    let rows = 0;
    let failed = 0;
    // Sequential on purpose: a homelab has a handful of groups and the brokers
    // should not see a burst every 30 s.
    for (const g of groups) {
      try {
        const offsets = await clusters.withAdmin(g.cluster, admin =>
          readGroupOffsets(admin, g.group, g.extraTopics),
        );
        rows += await store.insert(
          g.cluster,
          g.group,
          now,
          offsets.topics.filter(t => !t.error),
        );
      } catch (error) {
        failed++;
        logger.warn(`lag sampling of ${g.cluster}/${g.group} failed: ${error}`);
      }
    }
    const pruned = await store.prune(new Date(now.getTime() - retentionMs));
    return { groups: groups.length, rows, pruned, failed };
  }
}
