import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { getEntityRoute } from '../api/entityRoute';
import type {
  LiveHistoryResponse,
  LiveTokenResponse,
  StreamName,
} from '@homelab/plugin-streaming-common';

/**
 * The streaming backend's live routes: an energy-ws token for the signed-in
 * user, and recent readings to backfill the chart.
 *
 * @public
 */
export interface StreamingLiveApi {
  getLiveToken(entity: CompoundEntityRef): Promise<LiveTokenResponse>;
  getLiveHistory(
    entity: CompoundEntityRef,
    options: { stream: StreamName; minutes: number },
  ): Promise<LiveHistoryResponse>;
}

/** @public */
export const streamingLiveApiRef = createApiRef<StreamingLiveApi>({
  id: 'plugin.streaming.live',
});

/** @public */
export class StreamingLiveClient implements StreamingLiveApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  // Tokens and history must never come from the browser's HTTP cache.
  private get<T>(
    entity: CompoundEntityRef,
    path: string,
    query?: Record<string, string>,
  ): Promise<T> {
    return getEntityRoute<T>(this.options, entity, path, query, {
      cache: 'no-store',
    });
  }

  getLiveToken(entity: CompoundEntityRef) {
    return this.get<LiveTokenResponse>(entity, 'live/token');
  }

  getLiveHistory(
    entity: CompoundEntityRef,
    options: { stream: StreamName; minutes: number },
  ) {
    return this.get<LiveHistoryResponse>(entity, 'live/history', {
      stream: options.stream,
      minutes: String(options.minutes),
    });
  }
}
