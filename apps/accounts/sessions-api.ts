import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../src/http/app-context.ts';
import { HttpError } from '../../src/http/errors.ts';
import type { Session } from '../../src/http/session.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';

const SessionJson = Type.Object(
  {
    id: Type.String(),
    createdAt: Type.Union([Type.String(), Type.Null()]),
    lastSeenAt: Type.String(),
    ip: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    current: Type.Boolean(),
  },
  { additionalProperties: false },
);

const SessionIdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{22}$' }) });

/**
 * The signed-in user's own sessions (Laravel's "log out other devices"): list them, end one,
 * or end all but this one. Sessions are named by a hash of their id, never by the cookie.
 */
export async function sessionsApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  /** The user and their live sessions, this request's own first. */
  async function ownSessions(request: FastifyRequest) {
    const principal = await ctx.requireUser(request);
    const current = request.session;
    const sessions = await ctx.sessions.listOf(principal.id);
    const isCurrent = (s: Session) => s.id === current?.id;
    return { principal, sessions: [...sessions.filter(isCurrent), ...sessions.filter((s) => !isCurrent(s))], isCurrent };
  }

  app.get('/api/sessions', { schema: { response: { 200: Type.Object({ data: Type.Array(SessionJson) }) } } }, async (request) => {
    const { sessions, isCurrent } = await ownSessions(request);
    return { data: sessions.map((s) => ({ ...s.info(), current: isCurrent(s) })) };
  });

  app.delete('/api/sessions/:id', { schema: { params: SessionIdParams } }, async (request, reply) => {
    const { principal, sessions, isCurrent } = await ownSessions(request);
    const target = sessions.find((s) => s.info().id === request.params.id);
    if (!target) throw new HttpError(404, 'not_found', 'No such session of yours.');
    if (isCurrent(target)) request.session?.destroy();
    else await ctx.sessions.end(target);
    await ctx.services.audit.record('auth.sessions_revoked', { actorId: principal.id, subject: principal.email, ip: request.ip, details: { sessions: 1, current: isCurrent(target) } });
    return reply.code(204).send();
  });

  app.delete('/api/sessions', { schema: { response: { 200: Type.Object({ revoked: Type.Integer() }) } } }, async (request) => {
    const principal = await ctx.requireUser(request);
    const revoked = await ctx.sessions.endSessionsOf(principal.id, request.session?.id);
    await ctx.services.audit.record('auth.sessions_revoked', { actorId: principal.id, subject: principal.email, ip: request.ip, details: { sessions: revoked, others: true } });
    return { revoked };
  });
}
