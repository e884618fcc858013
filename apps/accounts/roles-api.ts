import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../src/http/app-context.ts';
import { notFound, unprocessable } from '../../src/http/errors.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { findRole, roleCatalog } from './role-catalog.ts';
import { changeRole } from './role-changes.ts';
import { UserParams } from './users-api.ts';
import { userWithRoles } from './user-json.ts';

const GrantBody = Type.Object({ role: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const RevokeParams = Type.Object({ ...UserParams.properties, role: Type.String({ maxLength: 64 }) });

/**
 * GET /api/roles; POST /api/users/:id/roles (grant) and DELETE /api/users/:id/roles/:role
 * (revoke), both idempotent and answering 200 with the user. An unknown role is a 422 in a
 * grant's body (bad input) and a 404 in a revoke's path (no such resource).
 */
export async function rolesApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/api/roles', async (request) => {
    await ctx.requireUser(request);
    return { data: await roleCatalog(ctx.services) };
  });

  app.post('/api/users/:id/roles', { schema: { params: UserParams, body: GrantBody } }, async (request) => {
    const { actor, target } = await manage(request, request.params.id);
    const ref = findRole(await roleCatalog(ctx.services), request.body.role);
    if (!ref) throw unprocessable('No such role.', { role: 'is not a role: use app:role from GET /api/roles' });
    await changeRole(ctx, 'grant', { actor, target, ref, request });
    return userWithRoles(ctx.services, target);
  });

  app.delete('/api/users/:id/roles/:role', { schema: { params: RevokeParams } }, async (request) => {
    const { actor, target } = await manage(request, request.params.id);
    const ref = findRole(await roleCatalog(ctx.services), request.params.role);
    if (!ref) throw notFound('Role');
    await changeRole(ctx, 'revoke', { actor, target, ref, request });
    return userWithRoles(ctx.services, target);
  });

  async function manage(request: FastifyRequest, id: number) {
    const actor = await ctx.requirePermission(request, 'accounts.roles.manage');
    const target = await ctx.services.users.find(id);
    if (!target) throw notFound('User');
    return { actor, target };
  }
}
