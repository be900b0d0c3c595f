import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { getEntityRoute } from './entityRoute';
import type {
  DeadLettersResponse,
  EntityKafkaResponse,
  EntityPipelineResponse,
  EntityTimescaleResponse,
  HistoryBucket,
  HypertableHistoryResponse,
} from '@homelab/plugin-streaming-common';
import type { StreamingApi } from './StreamingApi';

/** @public */
export class StreamingClient implements StreamingApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  private get<T>(
    entity: CompoundEntityRef,
    path: string,
    query?: Record<string, string>,
  ): Promise<T> {
    return getEntityRoute<T>(this.options, entity, path, query);
  }

  getKafka(entity: CompoundEntityRef) {
    return this.get<EntityKafkaResponse>(entity, 'kafka');
  }

  getTimescale(entity: CompoundEntityRef) {
    return this.get<EntityTimescaleResponse>(entity, 'timescale');
  }

  getTimescaleHistory(
    entity: CompoundEntityRef,
    options: { table: string; bucket: HistoryBucket; hours?: number },
  ) {
    const query: Record<string, string> = {
      table: options.table,
      bucket: options.bucket,
    };
    if (options.hours) query.hours = String(options.hours);
    return this.get<HypertableHistoryResponse>(
      entity,
      'timescale/history',
      query,
    );
  }

  getDeadLetters(
    entity: CompoundEntityRef,
    options: { topic?: string; before?: string; limit?: number } = {},
  ) {
    const query: Record<string, string> = {};
    if (options.topic) query.topic = options.topic;
    if (options.before) query.before = options.before;
    if (options.limit) query.limit = String(options.limit);
    return this.get<DeadLettersResponse>(entity, 'dlq', query);
  }

  getPipeline(entity: CompoundEntityRef) {
    return this.get<EntityPipelineResponse>(entity, 'pipeline');
  }
}
