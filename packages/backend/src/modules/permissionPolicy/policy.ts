import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import type {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { streamingPermissions } from '@homelab/plugin-streaming-common';
import type { PolicySettings } from './settings';

/**
 * Lag, table stats, live readings, dead letters and the pipeline view show
 * what a homelab's devices do, so they go to the entity's owners and the
 * configured admin groups only. Everything else Backstage asks (catalog
 * reads, TechDocs, …) stays allowed, as it was before this policy.
 */
export class StreamingOwnerPolicy implements PermissionPolicy {
  private readonly ownerOnly = new Set(streamingPermissions.map(p => p.name));

  constructor(private readonly settings: PolicySettings) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!this.ownerOnly.has(permission.name))
      return { result: AuthorizeResult.ALLOW };
    // Service principals never reach a policy; a request without a user is anonymous.
    const claims = user?.info.ownershipEntityRefs ?? [];
    if (!claims.length) return { result: AuthorizeResult.DENY };
    if (claims.some(ref => this.settings.adminGroups.has(ref)))
      return { result: AuthorizeResult.ALLOW };
    if (!isResourcePermission(permission, 'catalog-entity'))
      return { result: AuthorizeResult.DENY };
    // The catalog resolves this against the entity's ownedBy relations, so
    // `spec.owner: group:homelab-team` lets that group's members in.
    return createCatalogConditionalDecision(
      permission,
      catalogConditions.isEntityOwner({ claims }),
    );
  }
}
