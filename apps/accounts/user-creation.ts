import type { FastifyRequest } from 'fastify';
import { formatRoleRef, type RoleRef } from '../../src/auth/permissions.ts';
import type { Principal } from '../../src/auth/rbac.ts';
import { DuplicateEmailError, type User } from '../../src/auth/users.ts';
import { userInputProblems } from '../../src/auth/validation.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { conflict, unprocessable } from '../../src/http/errors.ts';
import { changeRole } from './role-changes.ts';
import { findRole, roleCatalog } from './role-catalog.ts';

export interface NewUser {
  readonly email: string;
  readonly name: string;
  readonly password: string;
  readonly roles: readonly string[];
}

const taken = () => conflict('A user with this email already exists.', { email: 'is already taken' });

/**
 * Creates a user with their first roles, for the API and the page alike: 422 for invalid
 * fields or unknown roles, 409 for a taken email. Handing out roles at creation needs
 * accounts.roles.manage too, so user creation cannot be used to grant what one could not.
 */
export async function createUser(ctx: AppContext, request: FastifyRequest, actor: Principal, input: NewUser): Promise<User> {
  if (input.roles.length > 0) await ctx.requirePermission(request, 'accounts.roles.manage');
  const problems = userInputProblems(input);
  const catalog = await roleCatalog(ctx.services);
  const refs: RoleRef[] = [];
  const unknown: string[] = [];
  for (const text of new Set(input.roles)) {
    const ref = findRole(catalog, text);
    if (ref) refs.push(ref);
    else unknown.push(text);
  }
  if (unknown.length > 0) problems.roles = `unknown role(s): ${unknown.join(', ')}; use app:role from GET /api/roles`;
  if (Object.keys(problems).length > 0) throw unprocessable('Check the highlighted fields.', problems);
  if (await ctx.services.users.findByEmail(input.email)) throw taken();

  const user = await ctx.services.users.create(input).catch((error: unknown) => {
    throw error instanceof DuplicateEmailError ? taken() : error;
  });
  await ctx.services.audit.record('user.created', {
    actorId: actor.id,
    subject: user.email,
    ip: request.ip,
    details: { roles: refs.map(formatRoleRef) },
  });
  for (const ref of refs) await changeRole(ctx, 'grant', { actor, target: user, ref, request });
  return user;
}
