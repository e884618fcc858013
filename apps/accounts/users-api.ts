import { Type } from '@sinclair/typebox';
import { IdParams } from '../../src/http/params.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { notFound } from '../../src/http/errors.ts';
import { decodeCursor, page, PageQuery } from '../../src/http/pagination.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { deleteUser, setUserDisabled } from './account-changes.ts';
import { createUser } from './user-creation.ts';
import { usersWithRoles, userWithRoles } from './user-json.ts';

/** Path ids are integers within what every database's INTEGER holds. */
export const UserParams = IdParams;

// Lengths here only bound the request; the real rules (and their 422s) are userInputProblems'.
const NewUserBody = Type.Object(
  {
    email: Type.String({ maxLength: 1024 }),
    name: Type.String({ maxLength: 1024 }),
    password: Type.String({ maxLength: 1024 }),
    roles: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

/** GET/POST /api/users, GET/DELETE /api/users/:id, POST /api/users/:id/disable and /enable. */
export async function usersApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/api/users', { schema: { querystring: PageQuery } }, async (request) => {
    await ctx.requirePermission(request, 'accounts.users.read');
    const before = decodeCursor(request.query.cursor);
    const rows = await ctx.services.users.list(request.query.limit + 1, before);
    const { data, next } = page(rows, request.query.limit, (u) => u);
    return { data: await usersWithRoles(ctx.services, data), next };
  });

  app.post('/api/users', { schema: { body: NewUserBody } }, async (request, reply) => {
    const actor = await ctx.requirePermission(request, 'accounts.users.create');
    const user = await createUser(ctx, request, actor, { ...request.body, roles: request.body.roles ?? [] });
    return reply.code(201).send(await userWithRoles(ctx.services, user));
  });

  app.get('/api/users/:id', { schema: { params: UserParams } }, async (request) => {
    await ctx.requirePermission(request, 'accounts.users.read');
    const user = await ctx.services.users.find(request.params.id);
    if (!user) throw notFound('User');
    return userWithRoles(ctx.services, user);
  });

  for (const [path, disabled] of [['/api/users/:id/disable', true], ['/api/users/:id/enable', false]] as const) {
    app.post(path, { schema: { params: UserParams } }, async (request) => {
      const actor = await ctx.requirePermission(request, 'accounts.users.manage');
      const user = await setUserDisabled(ctx, request, actor, request.params.id, disabled);
      return userWithRoles(ctx.services, user);
    });
  }

  app.delete('/api/users/:id', { schema: { params: UserParams } }, async (request, reply) => {
    const actor = await ctx.requirePermission(request, 'accounts.users.manage');
    await deleteUser(ctx, request, actor, request.params.id);
    return reply.code(204).send();
  });
}
