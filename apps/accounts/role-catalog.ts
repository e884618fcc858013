import { parseRoleRef, type RoleRef } from '../../src/auth/permissions.ts';
import type { Services } from '../../src/platform/services.ts';

export interface RoleInfo {
  readonly app: string;
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly string[];
}

/** Every role there is, as stored by `marg migrate` from the apps' declarations. */
export function roleCatalog(services: Services): Promise<RoleInfo[]> {
  return services.rbac.roles();
}

/** The role `text` names (`flow:editor`) when it is well-formed and exists, else undefined. */
export function findRole(catalog: readonly RoleInfo[], text: string): RoleRef | undefined {
  const ref = parseRoleRef(text);
  return ref && catalog.some((r) => r.app === ref.app && r.name === ref.role) ? ref : undefined;
}
