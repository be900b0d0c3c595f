import type { Entity } from '@backstage/catalog-model';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_CONSUMES_TOPICS,
  ANNOTATION_KAFKA_CONSUMER_GROUPS,
  ANNOTATION_PRODUCES_TOPICS,
  ClusterRef,
  ConsumerGroupLag,
  EntityKafkaResponse,
  parseConsumerGroups,
  parseTopics,
  TopicDetails,
} from '@homelab/plugin-streaming-common';
import { TtlCache } from '../TtlCache';
import { parseAnnotation } from '../parseAnnotation';
import { KafkaClusters } from './clusters';
import { errorText, GroupOffsets, readGroupOffsets } from './groups';
import { readTopicDetails } from './topics';
import { stateCounts, worstPartition } from './lag';
import { computeTrend, partitionKey } from './trend';
import type { LagStore } from './LagStore';

/** How far back the trend and the lag-in-seconds estimate look. */
const HISTORY_MS = 60 * 60_000;

/** What the entity's annotations ask for on Kafka, validated against config. */
export interface KafkaTargets {
  groups: ClusterRef[];
  produces: ClusterRef[];
  consumes: ClusterRef[];
}

/**
 * Builds an entity's Kafka view: every group's lag with its trend, and the
 * details of every topic involved. A group or topic that fails carries its
 * error; the rest of the answer stays.
 */
export class KafkaService {
  private readonly groupCache: TtlCache<GroupOffsets>;
  private readonly topicCache: TtlCache<TopicDetails>;

  constructor(
    private readonly clusters: KafkaClusters,
    private readonly store: LagStore | undefined,
    private readonly logger: LoggerService,
    cacheTtlMs = 5000,
  ) {
    this.groupCache = new TtlCache(cacheTtlMs);
    this.topicCache = new TtlCache(cacheTtlMs);
  }

  /** Parses and checks the annotations; throws a 400 naming what is valid. */
  targets(entity: Entity): KafkaTargets {
    const annotations = entity.metadata.annotations;
    const groups = parseAnnotation(() => parseConsumerGroups(annotations));
    const { produces, consumes } = parseAnnotation(() =>
      parseTopics(annotations),
    );
    for (const ref of groups)
      this.clusters.cluster(ref.cluster, ANNOTATION_KAFKA_CONSUMER_GROUPS);
    for (const ref of produces)
      this.clusters.cluster(ref.cluster, ANNOTATION_PRODUCES_TOPICS);
    for (const ref of consumes)
      this.clusters.cluster(ref.cluster, ANNOTATION_CONSUMES_TOPICS);
    return { groups, produces, consumes };
  }

  /** Reads a group now, bypassing nothing but sharing the short cache. */
  readGroup(
    cluster: string,
    group: string,
    extraTopics: string[],
  ): Promise<GroupOffsets> {
    const key = `${cluster}\u0000${group}\u0000${extraTopics.join(',')}`;
    return this.groupCache.get(key, () =>
      this.clusters.withAdmin(cluster, admin =>
        readGroupOffsets(admin, group, extraTopics),
      ),
    );
  }

  async forEntity(
    entity: Entity,
    now = Date.now(),
  ): Promise<EntityKafkaResponse> {
    const targets = this.targets(entity);
    const groups = await Promise.all(
      targets.groups.map(ref =>
        this.groupLag(
          ref,
          targets.consumes
            .filter(t => t.cluster === ref.cluster)
            .map(t => t.name),
          now,
        ),
      ),
    );

    const roles = new Map<
      string,
      {
        cluster: string;
        topic: string;
        roles: Set<TopicDetails['roles'][number]>;
      }
    >();
    const addRole = (
      cluster: string,
      topic: string,
      role: TopicDetails['roles'][number],
    ) => {
      const k = `${cluster}/${topic}`;
      if (!roles.has(k)) roles.set(k, { cluster, topic, roles: new Set() });
      roles.get(k)!.roles.add(role);
    };
    targets.produces.forEach(r => addRole(r.cluster, r.name, 'produces'));
    targets.consumes.forEach(r => addRole(r.cluster, r.name, 'consumes'));
    groups.forEach(g =>
      g.topics.forEach(t => addRole(g.cluster, t.topic, 'group')),
    );
    const topics = await Promise.all(
      [...roles.values()]
        .sort((a, b) =>
          `${a.cluster}/${a.topic}`.localeCompare(`${b.cluster}/${b.topic}`),
        )
        .map(({ cluster, topic, roles: r }) =>
          this.topic(cluster, topic, [...r].sort()),
        ),
    );

    const used = new Set(
      [...targets.groups, ...targets.produces, ...targets.consumes].map(
        r => r.cluster,
      ),
    );
    return {
      entityRef: stringifyEntityRef(entity),
      fetchedAt: new Date(now).toISOString(),
      clusters: this.clusters.info().filter(c => used.has(c.name)),
      groups,
      topics,
    };
  }

  private async topic(
    cluster: string,
    topic: string,
    roles: TopicDetails['roles'],
  ): Promise<TopicDetails> {
    try {
      const details = await this.topicCache.get(
        `${cluster}\u0000${topic}`,
        () =>
          this.clusters.withAdmin(cluster, admin =>
            readTopicDetails(admin, cluster, topic, roles),
          ),
      );
      return { ...details, roles };
    } catch (error) {
      const text = errorText(error);
      return {
        cluster,
        topic,
        roles,
        partitions: [],
        replicationFactor: 0,
        records: 0,
        config: {},
        error: text.startsWith(`topic ${topic}`)
          ? text
          : `cannot read topic ${topic}: ${text}`,
      };
    }
  }

  private async groupLag(
    ref: ClusterRef,
    extraTopics: string[],
    now: number,
  ): Promise<ConsumerGroupLag> {
    const base = { cluster: ref.cluster, group: ref.name };
    let offsets: GroupOffsets;
    try {
      offsets = await this.readGroup(ref.cluster, ref.name, extraTopics);
    } catch (error) {
      return {
        ...base,
        state: 'Unknown',
        members: [],
        topics: [],
        totalLag: 0,
        stateCounts: {},
        error: `cannot read consumer group ${ref.name} on cluster ${
          ref.cluster
        }: ${errorText(error)}`,
      };
    }
    const result: ConsumerGroupLag = {
      ...base,
      state: offsets.state,
      protocolType: offsets.protocolType,
      members: offsets.members,
      topics: offsets.topics,
      totalLag: offsets.topics.reduce((sum, t) => sum + t.totalLag, 0),
      worstPartition: worstPartition(offsets.topics),
      stateCounts: stateCounts(offsets.topics),
    };
    if (this.store) {
      try {
        const samples = await this.store.samples(
          ref.cluster,
          ref.name,
          new Date(now - HISTORY_MS),
        );
        const current = offsets.topics.flatMap(t =>
          t.partitions.map(p => ({
            topic: t.topic,
            partition: p.partition,
            committed: p.committedOffset,
            high: p.highWatermark,
          })),
        );
        const { trend, partitionSeconds } = computeTrend(samples, current, now);
        result.trend = trend;
        result.topics = offsets.topics.map(t => ({
          ...t,
          partitions: t.partitions.map(p => ({
            ...p,
            lagSeconds:
              partitionSeconds.get(partitionKey(t.topic, p.partition)) ?? null,
          })),
        }));
      } catch (error) {
        // The live figures are still right without history; say why the trend is missing.
        this.logger.warn(
          `lag history for ${ref.cluster}/${ref.name} unavailable: ${error}`,
        );
      }
    }
    return result;
  }
}
