import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/config.ts';
import { HttpError } from './errors.ts';
import { isSharedPath } from './hosts.ts';
import { routePath } from './route-path.ts';
import { Session, type SessionManager } from './session.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The visitor's session when the request carried a live one (or one was started). */
    session: Session | null;
  }
}

/** The cookie holding the CSRF token for scripts to echo back (Laravel's and Angular's convention). */
export const XSRF_COOKIE = 'XSRF-TOKEN';

/**
 * Loads the session named by the cookie before routing and saves it after the handler,
 * setting or clearing the cookie on the shared parent domain.
 */
export const sessionPlugin = fp<{ manager: SessionManager; config: Config['session'] }>(async (app, { manager, config }) => {
  app.decorateRequest('session', null);
  // Requests whose session store failed: answered 503 without touching the cookie (an outage must not sign anyone out).
  const storeFailed = new WeakSet<FastifyRequest>();
  const unavailable = (request: FastifyRequest, error: unknown) => {
    storeFailed.add(request);
    request.session = null;
    request.log.error({ err: error }, 'session store unavailable');
    return new HttpError(503, 'service_unavailable', 'Sessions are unavailable right now (the session store does not answer). Try again shortly.', undefined, { 'retry-after': '5' });
  };

  app.addHook('onRequest', async (request) => {
    const id = request.cookies[config.cookie];
    if (!id || isSharedPath(routePath(request))) return;
    try {
      request.session = (await manager.load(id)) ?? null;
    } catch (error) {
      throw unavailable(request, error);
    }
  });

  app.addHook('onSend', async (request, reply) => {
    if (storeFailed.has(request) || isSharedPath(routePath(request))) return;
    const session = request.session;
    if (!session) {
      if (request.cookies[config.cookie]) clearCookies(reply, config);
      return;
    }
    let action: Awaited<ReturnType<SessionManager['commit']>>;
    try {
      action = await manager.commit(session);
    } catch (error) {
      throw unavailable(request, error);
    }
    if (action === 'clear') clearCookies(reply, config);
    if (action === 'set') {
      const base = cookieOptions(request, config, manager.lifetimeSeconds);
      reply.setCookie(config.cookie, session.id, { ...base, httpOnly: true });
      reply.setCookie(XSRF_COOKIE, session.csrfToken, { ...base, httpOnly: false });
    }
  });
});

/** The request's session, started now if it has none. */
export function startSession(request: FastifyRequest, manager: SessionManager): Session {
  request.session ??= manager.create();
  return request.session;
}

function cookieOptions(request: FastifyRequest, config: Config['session'], maxAge: number) {
  return { domain: config.domain, path: '/', sameSite: 'lax' as const, secure: request.protocol === 'https', maxAge };
}

function clearCookies(reply: FastifyReply, config: Config['session']): void {
  for (const name of [config.cookie, XSRF_COOKIE]) reply.clearCookie(name, { domain: config.domain, path: '/' });
}
