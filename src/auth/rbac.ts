import type { Cache } from '../cache/repository.ts';
import type { DatabaseConnection } from '../database/contract.ts';
import { withDatabaseLock } from '../database/database-lock.ts';
import { readWriteContext } from '../database/read-write-context.ts';
import { now } from '../database/schema.ts';
import { EVERYTHING, type InvalidationBus } from '../invalidation/contract.ts';
import { afterPendingInvalidations, LocalCache } from '../invalidation/local-cache.ts';
import type { JsonValue } from '../support/json.ts';
import { formatRoleRef, type AppPermissions, type RoleRef } from './permissions.ts';
import type { RbacDatabase } from './rbac-schema.ts';

/** The signed-in user as every app sees it: who, and what they may do. */
export interface Principal {
  readonly id: number;
  readonly email: string;
  readonly name: string;
  /** Sorted permission strings, e.g. `flow.tasks.update`. */
  readonly permissions: readonly string[];
  /** Role references, e.g. `flow:editor`. */
  readonly roles: readonly string[];
}

export class UnknownRoleError extends Error {
  constructor(ref: RoleRef) {
    super(`unknown role ${formatRoleRef(ref)}`);
  }
}

const VERSION_KEY = 'rbac:version';
/** At most this long in process memory (and never longer than RBAC_CACHE_TTL); invalidations end it sooner. */
export const PRINCIPAL_MEMORY_TTL_MS = 10_000;
const MAX_MEMORY_ENTRIES = 20_000;
const PRINCIPAL = 'principal:';
const ALL_PRINCIPALS = 'principals:*';

/**
 * Roles and permissions per app, in the shared RBAC database, with each user's resolved
 * permissions cached for RBAC_CACHE_TTL. Every change invalidates: a grant or revoke
 * drops that user's entry; a change to role definitions bumps a version that every
 * entry carries, so all of them go stale at once.
 *
 * In front of that shared cache, each process keeps the principals it resolved for a few
 * seconds while the invalidation bus is live; `forget` and definition changes reach every
 * process through the bus before they return, so a revocation holds from the next request on.
 */
export class Rbac {
  readonly #memory: LocalCache<number, Principal> | undefined;
  #listening = false;

  constructor(
    private readonly connection: DatabaseConnection<RbacDatabase>,
    private readonly cache: Cache,
    private readonly ttlSeconds: number,
    private readonly bus?: InvalidationBus,
  ) {
    if (bus && ttlSeconds > 0) this.#memory = new LocalCache(Math.min(PRINCIPAL_MEMORY_TTL_MS, ttlSeconds * 1000), MAX_MEMORY_ENTRIES);
  }

  async principal(userId: number): Promise<Principal | undefined> {
    const memory = this.#memory;
    if (!memory) return this.#shared(userId);
    this.#listen();
    if (!this.bus!.live) return this.#shared(userId);
    if (memory.get(userId)) {
      await afterPendingInvalidations();
      const remembered = memory.get(userId);
      if (remembered && this.bus!.live) return remembered;
    }
    const generation = memory.generation;
    const principal = await this.#shared(userId);
    if (principal && this.bus!.live) memory.set(userId, principal, generation);
    return principal;
  }

  async #shared(userId: number): Promise<Principal | undefined> {
    if (this.ttlSeconds > 0) {
      const [version, entry] = await this.cache.getMany([VERSION_KEY, userKey(userId)]);
      if (isCachedEntry(entry) && entry.version === (version ?? 0)) return entry.principal;
      // Filled from the primary: a lagging replica must not put stale permissions in the cache for RBAC_CACHE_TTL.
      const principal = await readWriteContext.run({ wrote: true, stickyUntil: 0 }, () => this.#load(userId));
      if (principal) {
        const cached: JsonValue = { version: (version as number | undefined) ?? 0, principal: principal as unknown as JsonValue };
        await this.cache.set(userKey(userId), cached, this.ttlSeconds);
      }
      return principal;
    }
    return this.#load(userId);
  }

  /** Subscribed on the first lookup: a CLI command that only grants or revokes opens no subscriber connection. */
  #listen(): void {
    if (this.#listening || !this.bus) return;
    this.#listening = true;
    this.bus.subscribe((message) => {
      if (message.startsWith(PRINCIPAL)) this.#memory?.delete(Number(message.slice(PRINCIPAL.length)));
      else if (message === ALL_PRINCIPALS || message === EVERYTHING) this.#memory?.clear();
    });
  }

  /**
   * Loads these users' principals (in one go, from the primary) and rewrites their cache
   * entries, so requests keep finding them cached (the `rbac.warm-cache` job). Returns how
   * many were cached: 0 when the cache is off (RBAC_CACHE_TTL=0).
   */
  async warm(userIds: readonly number[]): Promise<number> {
    if (this.ttlSeconds <= 0 || userIds.length === 0) return 0;
    // Read before loading: a definition change meanwhile leaves these entries stale by version, never wrong.
    const version = ((await this.cache.get(VERSION_KEY)) as number | undefined) ?? 0;
    const principals = await readWriteContext.run({ wrote: true, stickyUntil: 0 }, () => this.#loadMany(userIds));
    await Promise.all(
      [...principals.values()].map((principal) =>
        this.cache.set(userKey(principal.id), { version, principal: principal as unknown as JsonValue }, this.ttlSeconds),
      ),
    );
    return principals.size;
  }

  async grant(userId: number, ref: RoleRef): Promise<boolean> {
    const roleId = await this.#roleId(ref);
    const existing = await this.connection.db
      .selectFrom('user_roles')
      .select('role_id')
      .where('user_id', '=', userId)
      .where('role_id', '=', roleId)
      .executeTakeFirst();
    if (!existing) await this.connection.db.insertInto('user_roles').values({ user_id: userId, role_id: roleId, created_at: now() }).execute();
    await this.forget(userId);
    return !existing;
  }

  async revoke(userId: number, ref: RoleRef): Promise<boolean> {
    const roleId = await this.#roleId(ref);
    const result = await this.connection.db.deleteFrom('user_roles').where('user_id', '=', userId).where('role_id', '=', roleId).executeTakeFirst();
    await this.forget(userId);
    return Number(result.numDeletedRows) > 0;
  }

  /** Drops the user's resolved permissions everywhere: the shared cache, then every process's memory. */
  async forget(userId: number): Promise<void> {
    await this.cache.delete(userKey(userId));
    await this.bus?.publish(`${PRINCIPAL}${userId}`);
  }

  /** Each user's role references (`flow:editor`), sorted, in one query for a whole page of users. */
  async rolesOfUsers(userIds: readonly number[]): Promise<Map<number, string[]>> {
    const roles = new Map<number, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return roles;
    const rows = await this.connection.db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select(['user_roles.user_id', 'roles.app', 'roles.name'])
      .where('user_roles.user_id', 'in', [...userIds])
      .execute();
    for (const row of rows) roles.get(Number(row.user_id))?.push(`${row.app}:${row.name}`);
    for (const list of roles.values()) list.sort();
    return roles;
  }

  /** How many users hold a role (e.g. to refuse removing the last `accounts:admin`). */
  async holderCount(ref: RoleRef): Promise<number> {
    const row = await this.connection.db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('roles.app', '=', ref.app)
      .where('roles.name', '=', ref.role)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The ids of the users holding a role. */
  async holderIds(ref: RoleRef): Promise<number[]> {
    const rows = await this.connection.db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select('user_roles.user_id')
      .where('roles.app', '=', ref.app)
      .where('roles.name', '=', ref.role)
      .execute();
    return rows.map((r) => Number(r.user_id));
  }

  /** Every role there is, with its permissions, grouped by app. */
  async roles(): Promise<{ app: string; name: string; description: string; permissions: string[] }[]> {
    const rows = await this.connection.db
      .selectFrom('roles')
      .leftJoin('role_permissions', 'role_permissions.role_id', 'roles.id')
      .select(['roles.app', 'roles.name', 'roles.description', 'role_permissions.permission'])
      .orderBy('roles.app')
      .orderBy('roles.id')
      // Without it PostgreSQL returns them in insertion order, SQLite and MySQL in key order.
      .orderBy('role_permissions.permission')
      .execute();
    const byRole = new Map<string, { app: string; name: string; description: string; permissions: string[] }>();
    for (const row of rows) {
      const key = `${row.app}:${row.name}`;
      const role = byRole.get(key) ?? { app: row.app, name: row.name, description: row.description, permissions: [] };
      if (row.permission) role.permissions.push(row.permission);
      byRole.set(key, role);
    }
    return [...byRole.values()];
  }

  /**
   * Makes the stored roles match what the apps declare (run by `marg migrate`): creates
   * missing roles, sets each role's permissions. Returns whether anything changed.
   */
  async syncDefinitions(apps: Readonly<Record<string, AppPermissions>>): Promise<boolean> {
    let changed = false;
    // Nodes booting together would both insert a missing role (a duplicate key, or a deadlock on MySQL): they take turns.
    await withDatabaseLock(this.connection, 'marg_sync_roles', (db) => db.transaction().execute(async (tx) => {
      for (const [app, definition] of Object.entries(apps)) {
        for (const [name, role] of Object.entries(definition.roles)) {
          let row = await tx.selectFrom('roles').select(['id', 'description']).where('app', '=', app).where('name', '=', name).executeTakeFirst();
          if (!row) {
            await tx.insertInto('roles').values({ app, name, description: role.description }).execute();
            row = await tx.selectFrom('roles').select(['id', 'description']).where('app', '=', app).where('name', '=', name).executeTakeFirstOrThrow();
            changed = true;
          } else if (row.description !== role.description) {
            await tx.updateTable('roles').set({ description: role.description }).where('id', '=', row.id).execute();
          }
          const current = (await tx.selectFrom('role_permissions').select('permission').where('role_id', '=', row.id).execute()).map((r) => r.permission);
          const wanted = [...new Set(role.permissions)];
          const toAdd = wanted.filter((p) => !current.includes(p));
          const toRemove = current.filter((p) => !wanted.includes(p));
          if (toAdd.length > 0) await tx.insertInto('role_permissions').values(toAdd.map((permission) => ({ role_id: row.id, permission }))).execute();
          if (toRemove.length > 0) await tx.deleteFrom('role_permissions').where('role_id', '=', row.id).where('permission', 'in', toRemove).execute();
          if (toAdd.length + toRemove.length > 0) changed = true;
        }
      }
    }));
    if (changed) {
      await this.cache.increment(VERSION_KEY);
      // Best effort: this runs at migrate time, and a bus that does not answer (Redis down while
      // the cache is elsewhere) must not fail the migration. Running web nodes are then not live
      // either, or drop their copies within PRINCIPAL_MEMORY_TTL_MS.
      await this.bus?.publish(ALL_PRINCIPALS).catch(() => {});
    }
    return changed;
  }

  async #roleId(ref: RoleRef): Promise<number> {
    const row = await this.connection.db.selectFrom('roles').select('id').where('app', '=', ref.app).where('name', '=', ref.role).executeTakeFirst();
    if (!row) throw new UnknownRoleError(ref);
    return Number(row.id);
  }

  async #load(userId: number): Promise<Principal | undefined> {
    return (await this.#loadMany([userId])).get(userId);
  }

  /** The principals of existing users among `userIds`, in two queries whatever their number. */
  async #loadMany(userIds: readonly number[]): Promise<Map<number, Principal>> {
    const out = new Map<number, Principal>();
    if (userIds.length === 0) return out;
    // A disabled account stands for nobody: its sessions resolve to no one, its tokens to nothing.
    const users = await this.connection.db
      .selectFrom('users')
      .select(['id', 'email', 'name'])
      .where('id', 'in', [...userIds])
      .where('disabled_at', 'is', null)
      .execute();
    if (users.length === 0) return out;
    const rows = await this.connection.db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .leftJoin('role_permissions', 'role_permissions.role_id', 'roles.id')
      .select(['user_roles.user_id', 'roles.app', 'roles.name', 'role_permissions.permission'])
      .where('user_roles.user_id', 'in', users.map((u) => u.id))
      .execute();
    const grants = new Map<number, { permissions: Set<string>; roles: Set<string> }>(users.map((u) => [Number(u.id), { permissions: new Set(), roles: new Set() }]));
    for (const row of rows) {
      const grant = grants.get(Number(row.user_id));
      if (!grant) continue;
      grant.roles.add(`${row.app}:${row.name}`);
      if (row.permission) grant.permissions.add(row.permission);
    }
    for (const user of users) {
      const id = Number(user.id);
      const grant = grants.get(id)!;
      out.set(id, { id, email: user.email, name: user.name, permissions: [...grant.permissions].sort(), roles: [...grant.roles].sort() });
    }
    return out;
  }
}

export function can(principal: Principal, permission: string): boolean {
  return principal.permissions.includes(permission);
}

function userKey(userId: number): string {
  return `rbac:user:${userId}`;
}

function isCachedEntry(value: JsonValue | undefined): value is { version: number; principal: Principal & JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'principal' in value && 'version' in value;
}
