import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ALL_ABILITIES, type AccessTokenInfo } from '../../src/auth/access-tokens.ts';
import type { Principal } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { HttpError, notFound, unprocessable } from '../../src/http/errors.ts';
import { IdParams } from '../../src/http/params.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';

// Lengths here only bound the request; tokenInputProblems gives the 422s.
export const NewTokenBody = Type.Object(
  {
    name: Type.String({ maxLength: 1024 }),
    abilities: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100 }),
    expiresAt: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export interface NewToken {
  readonly name: string;
  readonly abilities: readonly string[];
  readonly expiresAt?: string | undefined;
}

/** The body's problems by field: abilities must be `*` or permissions the user holds now; expiry in the future. */
export function tokenInputProblems(user: Principal, input: NewToken): Record<string, string> {
  const problems: Record<string, string> = {};
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) problems.name = 'must be 1 to 100 characters';
  if (input.abilities.length === 0) problems.abilities = `must list at least one permission, or "${ALL_ABILITIES}" for all of yours`;
  const foreign = input.abilities.filter((a) => a !== ALL_ABILITIES && !user.permissions.includes(a));
  if (foreign.length > 0) problems.abilities = `you do not hold ${foreign.map((a) => JSON.stringify(a)).join(', ')} (see "permissions" in GET /api/me)`;
  if (input.expiresAt !== undefined) {
    const at = Date.parse(input.expiresAt);
    if (!/^\d{4}-\d{2}-\d{2}/.test(input.expiresAt) || Number.isNaN(at)) problems.expiresAt = 'must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z';
    else if (at <= Date.now()) problems.expiresAt = 'must be in the future';
  }
  return problems;
}

/** Creates a token for the signed-in user (422 on bad input) and audits it; the plain token is in the result only. */
export async function createToken(ctx: AppContext, request: FastifyRequest, user: Principal, input: NewToken): Promise<{ info: AccessTokenInfo; token: string }> {
  const problems = tokenInputProblems(user, input);
  if (Object.keys(problems).length > 0) throw unprocessable('Check the highlighted fields.', problems);
  const expiresAt = input.expiresAt === undefined ? undefined : new Date(Date.parse(input.expiresAt)).toISOString();
  const created = await ctx.services.tokens.create(user.id, { name: input.name.trim(), abilities: input.abilities, expiresAt });
  await ctx.services.audit.record('token.created', {
    actorId: user.id,
    subject: user.email,
    ip: request.ip,
    details: { tokenId: created.info.id, name: created.info.name, abilities: created.info.abilities, expiresAt: created.info.expiresAt },
  });
  return created;
}

export async function revokeToken(ctx: AppContext, request: FastifyRequest, user: Principal, id: number): Promise<boolean> {
  const revoked = await ctx.services.tokens.revoke(user.id, id);
  if (!revoked) return false;
  await ctx.services.audit.record('token.revoked', { actorId: user.id, subject: user.email, ip: request.ip, details: { tokenId: id, name: revoked.name } });
  return true;
}

/**
 * Managing tokens takes a signed-in session: a token cannot mint or list tokens (one scoped
 * to `flow.tasks.read` must not create a `*` one).
 */
export async function requireSessionUser(ctx: AppContext, request: FastifyRequest): Promise<Principal> {
  if (request.accessToken) throw new HttpError(403, 'session_required', 'API tokens are managed from a signed-in session, not with a token.');
  return ctx.requireUser(request);
}

/** POST/GET /api/tokens, DELETE /api/tokens/:id (DESIGN §4), on the accounts host. */
export async function tokensApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.post('/api/tokens', { schema: { body: NewTokenBody } }, async (request, reply) => {
    const user = await requireSessionUser(ctx, request);
    const { info, token } = await createToken(ctx, request, user, request.body);
    return reply.code(201).send({ ...info, token });
  });

  app.get('/api/tokens', async (request) => {
    const user = await requireSessionUser(ctx, request);
    return { data: await ctx.services.tokens.listOf(user.id), next: null };
  });

  app.delete('/api/tokens/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const user = await requireSessionUser(ctx, request);
    if (!(await revokeToken(ctx, request, user, request.params.id))) throw notFound('Token');
    return reply.code(204).send();
  });
}
