import express from 'express';
import Router from 'express-promise-router';
import type {
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { streamingPipelineReadPermission } from '@homelab/plugin-streaming-common';
import { publicErrorHandler } from '../errors';
import type { PipelineService } from './PipelineService';

export interface PipelineRouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  pipelines: PipelineService;
  logger: LoggerService;
}

/**
 * `GET /entities/:kind/:namespace/:name/pipeline`: the pipeline the entity's
 * `streaming.homelab.dev/pipeline` annotation names, stage by stage. The
 * request names an entity only; every address comes from config.
 */
export function createPipelineRouter(
  options: PipelineRouterOptions,
): express.Router {
  const { httpAuth, permissions, catalog, pipelines, logger } = options;
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/pipeline', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const entityRef = stringifyEntityRef({
      kind: req.params.kind,
      namespace: req.params.namespace,
      name: req.params.name,
    });
    // Decide before looking the entity up, so a denied caller cannot learn which entities exist.
    const [decision] = await permissions.authorize(
      [{ permission: streamingPipelineReadPermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(
        `permission ${streamingPipelineReadPermission.name} denied for ${entityRef}`,
      );
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity)
      throw new NotFoundError(`entity ${entityRef} not found in the catalog`);
    res.json(await pipelines.forEntity(entity));
  });

  router.use(publicErrorHandler(logger));
  return router;
}
