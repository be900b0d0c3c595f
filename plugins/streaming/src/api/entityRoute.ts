import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';

/**
 * GETs one of the streaming backend's per-entity routes
 * (`/entities/:kind/:namespace/:name/<path>`) and returns its JSON; a non-2xx
 * answer becomes a ResponseError carrying the backend's error body, which the
 * tabs show.
 */
export async function getEntityRoute<T>(
  apis: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  entity: CompoundEntityRef,
  path: string,
  query?: Record<string, string>,
  init?: RequestInit,
): Promise<T> {
  const base = await apis.discoveryApi.getBaseUrl('streaming');
  const ref = [entity.kind, entity.namespace, entity.name]
    .map(encodeURIComponent)
    .join('/');
  const qs = query ? `?${new URLSearchParams(query)}` : '';
  const response = await apis.fetchApi.fetch(
    `${base}/entities/${ref}/${path}${qs}`,
    init,
  );
  if (!response.ok) throw await ResponseError.fromResponse(response);
  return response.json();
}
