import type { Config } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';

export interface PolicySettings {
  /** Full group refs (`group:<namespace>/<name>`) whose members see every entity's streaming data. */
  adminGroups: Set<string>;
}

const MAX_ADMIN_GROUPS = 100;

const groupRef = z.string().transform((value, ctx) => {
  try {
    const ref = parseEntityRef(value, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
    if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is a ${ref.kind}, not a group`,
      });
      return z.NEVER;
    }
    return stringifyEntityRef(ref);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a group ref; write group:<namespace>/<name> or <name>`,
    });
    return z.NEVER;
  }
});

const schema = z.object({
  adminGroups: z.array(groupRef).max(MAX_ADMIN_GROUPS).default([]),
});

/** Reads `streaming.permissions`; a value that cannot work stops the backend with a message naming the key. */
export function readPolicySettings(config: Config): PolicySettings {
  const raw = config.getOptional('streaming.permissions') ?? {};
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      i => `streaming.permissions.${i.path.join('.')}: ${i.message}`,
    );
    throw new Error(`invalid permission config: ${problems.join('; ')}`);
  }
  return { adminGroups: new Set(parsed.data.adminGroups) };
}
