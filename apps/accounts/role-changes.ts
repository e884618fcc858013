import type { FastifyRequest } from 'fastify';
import { LockTimeoutError } from '../../src/lock/locks.ts';
import { formatRoleRef, type RoleRef } from '../../src/auth/permissions.ts';
import type { Principal } from '../../src/auth/rbac.ts';
import type { User } from '../../src/auth/users.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { conflict } from '../../src/http/errors.ts';

/** The role that can hand out every other one: someone must always keep it. */
export const ACCOUNTS_ADMIN: RoleRef = { app: 'accounts', role: 'admin' };

// One role change at a time across every process: the last-admin check and the revoke must
// not interleave with another revoke, and rbac.grant's check-then-insert must not race itself.
export const ROLE_CHANGES_LOCK = 'accounts:role-changes';
const LOCK = ROLE_CHANGES_LOCK;
const LOCK_TTL_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

export interface RoleChange {
  readonly actor: Principal;
  readonly target: User;
  readonly ref: RoleRef;
  readonly request: FastifyRequest;
}

/**
 * Grants or revokes a role (idempotent). Changes are audited (no-ops are not); rbac drops the
 * target's cached permissions, so the change applies to their next request on any host.
 * Throws 409 for a revoke that would leave nobody holding accounts:admin.
 */
export async function changeRole(ctx: AppContext, kind: 'grant' | 'revoke', change: RoleChange): Promise<boolean> {
  const { actor, target, ref, request } = change;
  let changed: boolean;
  try {
    changed = await ctx.services.locks.block(LOCK, LOCK_TTL_MS, LOCK_WAIT_MS, async () => {
      if (kind === 'grant') return ctx.services.rbac.grant(target.id, ref);
      if (formatRoleRef(ref) === formatRoleRef(ACCOUNTS_ADMIN)) await refuseLastAdmin(ctx, target);
      return ctx.services.rbac.revoke(target.id, ref);
    });
  } catch (error) {
    if (error instanceof LockTimeoutError) throw conflict('Another role change is in progress. Try again.');
    throw error;
  }
  if (changed) {
    await ctx.services.audit.record(kind === 'grant' ? 'rbac.granted' : 'rbac.revoked', {
      actorId: actor.id,
      subject: target.email,
      ip: request.ip,
      details: { role: formatRoleRef(ref) },
    });
  }
  return changed;
}

export async function refuseLastAdmin(ctx: AppContext, target: User): Promise<void> {
  const roles = (await ctx.services.rbac.rolesOfUsers([target.id])).get(target.id) ?? [];
  if (roles.includes(formatRoleRef(ACCOUNTS_ADMIN)) && (await ctx.services.rbac.holderCount(ACCOUNTS_ADMIN)) <= 1) {
    throw conflict('This is the last user holding accounts:admin: grant it to someone else first.', { role: 'is held by nobody else' });
  }
}
