import { Type } from '@sinclair/typebox';
import type { Principal } from '../auth/rbac.ts';
import type { MargFastify } from '../platform/app-module.ts';
import type { AppContext } from './app-context.ts';
import { HttpError, tooManyRequests, unauthenticated } from './errors.ts';

export const Credentials = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 255 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

/** The `/api/me` shape (DESIGN §4). */
export function meBody(principal: Principal) {
  return { id: principal.id, email: principal.email, name: principal.name, permissions: principal.permissions, roles: principal.roles };
}

/**
 * The session API every app host answers (DESIGN §4): sign in, sign out, who am I; and the
 * sign-out form the page header posts to. One session serves all hosts.
 */
export async function sessionRoutes(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.post('/api/session', { schema: { body: Credentials } }, async (request) => {
    ctx.refuseForeignOrigin(request);
    const result = await ctx.signIn.attempt(request.body.email, request.body.password, request.ip);
    if (!result.ok && result.reason === 'locked') throw tooManyRequests(result.retryAfterSeconds, 'Too many failed sign-ins. Try again later.');
    if (!result.ok && result.reason === 'disabled') throw new HttpError(403, 'account_disabled', 'This account is disabled: an administrator can enable it again.');
    if (!result.ok) throw new HttpError(401, 'invalid_credentials', 'Email or password is wrong.');
    const session = ctx.signInSession(request, result.principal.id);
    return { ...meBody(result.principal), csrfToken: session.csrfToken };
  });

  app.delete('/api/session', async (request, reply) => {
    await signOut(ctx, request);
    return reply.code(204).send();
  });

  app.get('/api/me', async (request) => {
    const principal = await ctx.user(request);
    if (!principal) throw unauthenticated();
    return meBody(principal);
  });

  app.post('/signout', async (request, reply) => {
    await signOut(ctx, request);
    return reply.redirect(ctx.url(request, ctx.signInApp, '/signin'), 303);
  });
}

async function signOut(ctx: AppContext, request: Parameters<AppContext['user']>[0]): Promise<void> {
  const principal = await ctx.user(request);
  if (principal) await ctx.services.audit.record('auth.signout', { actorId: principal.id, subject: principal.email, ip: request.ip });
  request.session?.destroy();
}
