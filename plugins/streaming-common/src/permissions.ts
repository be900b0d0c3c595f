import { createPermission } from '@backstage/plugin-permission-common';

// Resource type of catalog entities; spelled out so this package does not
// depend on the whole catalog client.
const RESOURCE_TYPE_CATALOG_ENTITY = 'catalog-entity';

/** Reading one of the plugin's views of a catalog entity. */
function entityReadPermission(name: string) {
  return createPermission({
    name,
    attributes: { action: 'read' },
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
  });
}

export const streamingKafkaReadPermission = entityReadPermission(
  'streaming.kafka.read',
);

export const streamingTimescaleReadPermission = entityReadPermission(
  'streaming.timescale.read',
);

export const streamingLiveReadPermission = entityReadPermission(
  'streaming.live.read',
);

/** Dead letters hold whatever a device sent, so only owners get them by default. */
export const streamingDlqReadPermission =
  entityReadPermission('streaming.dlq.read');

/** The pipeline view: each stage's rate, lag, freshness and latency. */
export const streamingPipelineReadPermission = entityReadPermission(
  'streaming.pipeline.read',
);

export const streamingPermissions = [
  streamingKafkaReadPermission,
  streamingTimescaleReadPermission,
  streamingLiveReadPermission,
  streamingDlqReadPermission,
  streamingPipelineReadPermission,
];
