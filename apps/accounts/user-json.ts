import type { User } from '../../src/auth/users.ts';
import type { Services } from '../../src/platform/services.ts';

/** A user as the accounts API returns it. */
export interface UserJson {
  readonly id: number;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
  readonly roles: readonly string[];
  /** Disabled by an admin: cannot sign in, no sessions, tokens refused. */
  readonly disabled: boolean;
}

export async function usersWithRoles(services: Services, users: readonly User[]): Promise<UserJson[]> {
  const ids = users.map((u) => u.id);
  const [roles, disabled] = await Promise.all([services.rbac.rolesOfUsers(ids), services.users.disabledAmong(ids)]);
  return users.map((u) => ({ id: u.id, email: u.email, name: u.name, createdAt: u.createdAt, roles: roles.get(u.id) ?? [], disabled: disabled.has(u.id) }));
}

export async function userWithRoles(services: Services, user: User): Promise<UserJson> {
  const [json] = await usersWithRoles(services, [user]);
  return json!;
}
