import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
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

  private async get<T>(
    entity: CompoundEntityRef,
    path: string,
    query?: Record<string, string>,
  ): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('streaming');
    const ref = [entity.kind, entity.namespace, entity.name]
      .map(encodeURIComponent)
      .join('/');
    const qs = query ? `?${new URLSearchParams(query)}` : '';
    const response = await this.options.fetchApi.fetch(
      `${base}/entities/${ref}/${path}${qs}`,
      { cache: 'no-store' },
    );
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return response.json();
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
