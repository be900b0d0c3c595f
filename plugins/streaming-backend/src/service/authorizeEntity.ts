import type express from 'express';
import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  Entity,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';

export interface EntityAccess {
  permissions: PermissionsService;
  catalog: CatalogService;
}

/**
 * The entity a route names, once the caller may use `permission` on it.
 * The decision comes before the lookup, so a denied caller cannot learn
 * which entities exist; the 403 then names the entity's owner only if the
 * caller may read the entity in the catalog anyway, so they know whom to ask.
 */
export async function authorizeEntity(
  { permissions, catalog }: EntityAccess,
  req: express.Request,
  credentials: BackstageCredentials,
  permission: ResourcePermission<'catalog-entity'>,
): Promise<Entity> {
  const entityRef = stringifyEntityRef({
    kind: req.params.kind,
    namespace: req.params.namespace,
    name: req.params.name,
  });
  const [decision] = await permissions.authorize(
    [{ permission, resourceRef: entityRef }],
    { credentials },
  );
  if (decision.result !== AuthorizeResult.ALLOW) {
    const owner = await catalog
      .getEntityByRef(entityRef, { credentials })
      .then(entity => (entity ? ownerOf(entity) : undefined))
      .catch(() => undefined);
    const ask = owner
      ? `; ask an owner of ${owner} to add you to that group, or a portal admin`
      : '';
    throw new NotAllowedError(
      `permission ${permission.name} denied for ${entityRef}${ask}`,
    );
  }
  const entity = await catalog.getEntityByRef(entityRef, { credentials });
  if (!entity)
    throw new NotFoundError(`entity ${entityRef} not found in the catalog`);
  return entity;
}

function ownerOf(entity: Entity): string | undefined {
  const related = entity.relations?.find(
    r => r.type === RELATION_OWNED_BY,
  )?.targetRef;
  const declared = entity.spec?.owner;
  return related ?? (typeof declared === 'string' ? declared : undefined);
}
