import { createApiRef } from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import type {
  DeadLettersResponse,
  EntityKafkaResponse,
  EntityPipelineResponse,
  EntityTimescaleResponse,
  HistoryBucket,
  HypertableHistoryResponse,
} from '@homelab/plugin-streaming-common';

/**
 * Client of the streaming backend. Every call names an entity; the backend
 * reads the entity's annotations itself.
 *
 * @public
 */
export interface StreamingApi {
  getKafka(entity: CompoundEntityRef): Promise<EntityKafkaResponse>;
  getTimescale(entity: CompoundEntityRef): Promise<EntityTimescaleResponse>;
  getTimescaleHistory(
    entity: CompoundEntityRef,
    options: { table: string; bucket: HistoryBucket; hours?: number },
  ): Promise<HypertableHistoryResponse>;
  /** Dead letters, newest first; `before` is the `next` of the previous page. */
  getDeadLetters(
    entity: CompoundEntityRef,
    options?: { topic?: string; before?: string; limit?: number },
  ): Promise<DeadLettersResponse>;
  /** The pipeline the entity's `streaming.homelab.dev/pipeline` annotation names, stage by stage. */
  getPipeline(entity: CompoundEntityRef): Promise<EntityPipelineResponse>;
}

/** @public */
export const streamingApiRef = createApiRef<StreamingApi>({
  id: 'plugin.streaming.service',
});
