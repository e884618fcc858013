import type { FastifyRequest } from 'fastify';
import { verifyPassword } from '../../src/auth/passwords.ts';
import type { Principal } from '../../src/auth/rbac.ts';
import type { User } from '../../src/auth/users.ts';
import { userInputProblems } from '../../src/auth/validation.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { conflict, notFound, unprocessable } from '../../src/http/errors.ts';
import { LockTimeoutError } from '../../src/lock/locks.ts';
import { avatarKeys } from './avatar.ts';
import { ACCOUNTS_ADMIN, refuseLastAdmin, ROLE_CHANGES_LOCK } from './role-changes.ts';

/** The signed-in user renames themselves (422 for an empty or too long name). */
export async function changeName(ctx: AppContext, request: FastifyRequest, user: Principal, name: string): Promise<void> {
  const problems = userInputProblems({ name });
  if (problems.name) throw unprocessable('Check the name.', { name: problems.name });
  await ctx.services.users.setName(user.id, name);
  await ctx.services.rbac.forget(user.id);
  await ctx.services.audit.record('user.updated', { actorId: user.id, subject: user.email, ip: request.ip, details: { name: name.trim() } });
}

/**
 * Changes the own password given the current one (422 when it is wrong or the new one is
 * unfit), and ends every other session of the user; this one stays. Returns how many ended.
 */
export async function changePassword(ctx: AppContext, request: FastifyRequest, user: Principal, current: string, next: string): Promise<number> {
  const secret = await ctx.services.users.secretOf(user.id);
  if (!secret || !(await verifyPassword(secret.passwordHash, current))) {
    throw unprocessable('Your current password is not right.', { currentPassword: 'is wrong' });
  }
  const problems = userInputProblems({ password: next });
  if (problems.password) throw unprocessable('Choose another password.', { password: problems.password });
  await ctx.services.users.setPassword(user.id, next);
  const ended = await ctx.sessions.endSessionsOf(user.id, request.session?.id);
  await ctx.services.audit.record('user.password_changed', { actorId: user.id, subject: user.email, ip: request.ip, details: { sessionsEnded: ended } });
  return ended;
}

/**
 * An admin disables or enables an account. Disabling ends its sessions at once (and its
 * tokens stop working: the account resolves to nobody); refused with 409 for the own account
 * and for the last enabled accounts:admin, who could not be enabled again by anyone.
 */
export async function setUserDisabled(ctx: AppContext, request: FastifyRequest, actor: Principal, id: number, disabled: boolean): Promise<User> {
  const target = await ctx.services.users.find(id);
  if (!target) throw notFound('User');
  if (disabled && target.id === actor.id) throw conflict('You cannot disable your own account.');
  await underRoleLock(ctx, async () => {
    if (disabled) await refuseLastEnabledAdmin(ctx, target);
    await ctx.services.users.setDisabled(target.id, disabled);
  });
  await ctx.services.rbac.forget(target.id);
  const ended = disabled ? await ctx.sessions.endSessionsOf(target.id) : 0;
  await ctx.services.audit.record(disabled ? 'user.disabled' : 'user.enabled', { actorId: actor.id, subject: target.email, ip: request.ip, details: disabled ? { sessionsEnded: ended } : undefined });
  return target;
}

/** An admin deletes an account (its roles, tokens, sessions and avatar go too); 409 for the last accounts:admin. */
export async function deleteUser(ctx: AppContext, request: FastifyRequest, actor: Principal, id: number): Promise<User> {
  const target = await ctx.services.users.find(id);
  if (!target) throw notFound('User');
  await underRoleLock(ctx, async () => {
    await refuseLastAdmin(ctx, target);
    await ctx.services.users.delete(target.id);
  });
  await ctx.services.rbac.forget(target.id);
  await ctx.sessions.endSessionsOf(target.id);
  const keys = avatarKeys(target.id);
  await ctx.services.storage.delete(keys.original);
  await ctx.services.storage.delete(keys.thumb);
  await ctx.services.audit.record('user.deleted', { actorId: actor.id, subject: target.email, ip: request.ip, details: { userId: target.id } });
  return target;
}

// The last-admin checks must not interleave with a revoke or another disable/delete.
async function underRoleLock(ctx: AppContext, work: () => Promise<void>): Promise<void> {
  try {
    await ctx.services.locks.block(ROLE_CHANGES_LOCK, 10_000, 5_000, work);
  } catch (error) {
    if (error instanceof LockTimeoutError) throw conflict('Another change to users or roles is in progress. Try again.');
    throw error;
  }
}

async function refuseLastEnabledAdmin(ctx: AppContext, target: User): Promise<void> {
  const holders = await ctx.services.rbac.holderIds(ACCOUNTS_ADMIN);
  if (!holders.includes(target.id)) return;
  const disabled = await ctx.services.users.disabledAmong(holders);
  if (holders.filter((h) => !disabled.has(h) && h !== target.id).length === 0) {
    throw conflict('This is the last enabled user holding accounts:admin: grant it to someone else first.', { role: 'is held by nobody else' });
  }
}
