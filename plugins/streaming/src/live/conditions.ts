import type { Entity } from '@backstage/catalog-model';
import { ANNOTATION_LIVE_STREAMS } from '@homelab/plugin-streaming-common';

/**
 * True when the entity names live streams, i.e. when the Live tab has
 * something to show. For `EntitySwitch.Case if={…}` in legacy apps.
 *
 * @public
 */
export function isStreamingLiveAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[ANNOTATION_LIVE_STREAMS]);
}
