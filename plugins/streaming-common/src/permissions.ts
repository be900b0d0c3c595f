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

export const streamingPermissions = [
  streamingKafkaReadPermission,
  streamingTimescaleReadPermission,
  streamingLiveReadPermission,
];
