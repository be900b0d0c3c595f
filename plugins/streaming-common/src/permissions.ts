import { createPermission } from '@backstage/plugin-permission-common';

// Resource type of catalog entities; spelled out so this package does not
// depend on the whole catalog client.
const RESOURCE_TYPE_CATALOG_ENTITY = 'catalog-entity';

export const streamingKafkaReadPermission = createPermission({
  name: 'streaming.kafka.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

export const streamingTimescaleReadPermission = createPermission({
  name: 'streaming.timescale.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

export const streamingLiveReadPermission = createPermission({
  name: 'streaming.live.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Dead letters hold whatever a device sent, so only owners get them by default. */
export const streamingDlqReadPermission = createPermission({
  name: 'streaming.dlq.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** The pipeline view: each stage's rate, lag, freshness and latency. */
export const streamingPipelineReadPermission = createPermission({
  name: 'streaming.pipeline.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

export const streamingPermissions = [
  streamingKafkaReadPermission,
  streamingTimescaleReadPermission,
  streamingLiveReadPermission,
  streamingDlqReadPermission,
  streamingPipelineReadPermission,
];
