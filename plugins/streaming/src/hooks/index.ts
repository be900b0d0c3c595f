import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { streamingApiRef } from '../api';
import { DEFAULT_REFRESH_MS, usePolling } from '../components/common';

/** The current entity's Kafka view, refreshed every `intervalMs`. */
export function useEntityKafka(intervalMs = DEFAULT_REFRESH_MS) {
  const api = useApi(streamingApiRef);
  const { entity } = useEntity();
  const ref = getCompoundEntityRef(entity);
  return usePolling(
    () => api.getKafka(ref),
    [api, ref.kind, ref.namespace, ref.name],
    intervalMs,
  );
}

/** The current entity's TimescaleDB view, refreshed every `intervalMs`. */
export function useEntityTimescale(intervalMs = DEFAULT_REFRESH_MS) {
  const api = useApi(streamingApiRef);
  const { entity } = useEntity();
  const ref = getCompoundEntityRef(entity);
  return usePolling(
    () => api.getTimescale(ref),
    [api, ref.kind, ref.namespace, ref.name],
    intervalMs,
  );
}
