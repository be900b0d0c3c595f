import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { streamingApiRef } from '../../api';
import { usePolling } from '../common';

/** The view moves with the pipeline: a few seconds between refreshes. */
export const PIPELINE_REFRESH_MS = 5_000;

/** The current entity's pipeline, refreshed every `intervalMs`. */
export function usePipeline(intervalMs = PIPELINE_REFRESH_MS) {
  const api = useApi(streamingApiRef);
  const { entity } = useEntity();
  const ref = getCompoundEntityRef(entity);
  return usePolling(
    () => api.getPipeline(ref),
    [api, ref.kind, ref.namespace, ref.name],
    intervalMs,
  );
}
