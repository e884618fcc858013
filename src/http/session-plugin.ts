import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AccessTokens, TokenIdentity } from '../auth/access-tokens.ts';
import type { Config } from '../config/config.ts';
import { HttpError } from './errors.ts';
import { isSharedPath } from './hosts.ts';
import { routePath } from './route-path.ts';
import { Session, type SessionManager } from './session.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The visitor's session when the request carried a live one (or one was started). */
    session: Session | null;
    /** The personal access token the request was authenticated by (`Authorization: Bearer`, on `/api` only). */
    accessToken: TokenIdentity | null;
  }
}

// `/<app>/api…` after host routing: where a bearer token stands in for the session.
const API_ROUTE = /^\/[a-z0-9-]+\/api(?:\/|$)/;
const TOKEN_REFUSALS = {
  malformed: 'The bearer token is malformed: a Marg token starts with marg_pat_ (create one at POST /api/tokens on the accounts host).',
  unknown: 'The bearer token is unknown or has been revoked.',
  expired: 'The bearer token has expired: create a new one.',
} as const;

/** The cookie holding the CSRF token for scripts to echo back (Laravel's and Angular's convention). */
export const XSRF_COOKIE = 'XSRF-TOKEN';

/**
 * Loads the session named by the cookie before routing and saves it after the handler,
 * setting or clearing the cookie on the shared parent domain.
 */
export const sessionPlugin = fp<{ manager: SessionManager; config: Config['session']; tokens: AccessTokens }>(async (app, { manager, config, tokens }) => {
  app.decorateRequest('session', null);
  app.decorateRequest('accessToken', null);
  // Requests that carried a bearer token on an API route: no session loaded, none saved.
  const tokenRequests = new WeakSet<FastifyRequest>();
  // Requests whose session store failed: answered 503 without touching the cookie (an outage must not sign anyone out).
  const storeFailed = new WeakSet<FastifyRequest>();
  const unavailable = (request: FastifyRequest, error: unknown) => {
    storeFailed.add(request);
    request.session = null;
    request.log.error({ err: error }, 'session store unavailable');
    return new HttpError(503, 'service_unavailable', 'Sessions are unavailable right now (the session store does not answer). Try again shortly.', undefined, { 'retry-after': '5' });
  };

  app.addHook('onRequest', async (request) => {
    const path = routePath(request);
    const bearer = API_ROUTE.test(path) ? bearerToken(request) : undefined;
    if (bearer !== undefined) {
      tokenRequests.add(request);
      // As Sanctum: a token instead of the cookie, so no session (and no CSRF check: nothing ambient).
      let result: Awaited<ReturnType<AccessTokens['check']>>;
      try {
        result = await tokens.check(bearer);
      } catch (error) {
        // The RBAC database does not answer: as for the session store, a 503 to retry, not a 500.
        request.log.error({ err: error }, 'access tokens unavailable');
        throw new HttpError(503, 'service_unavailable', 'API tokens cannot be checked right now. Try again shortly.', undefined, { 'retry-after': '5' });
      }
      // Refused later (refuseInvalidTokens), after the request limits have counted it by client IP.
      if (!result.ok) refusals.set(request, new HttpError(401, 'invalid_token', TOKEN_REFUSALS[result.reason], undefined, { 'www-authenticate': `Bearer error="invalid_token"` }));
      else request.accessToken = result.identity;
      return;
    }
    const id = request.cookies[config.cookie];
    if (!id || isSharedPath(path)) return;
    try {
      request.session = (await manager.load(id)) ?? null;
    } catch (error) {
      throw unavailable(request, error);
    }
  });

  app.addHook('onSend', async (request, reply) => {
    // A request the onRequest hook took as a token request (valid or not) leaves the browser's cookie (if it sent one) alone.
    if (storeFailed.has(request) || tokenRequests.has(request) || isSharedPath(routePath(request))) return;
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

const refusals = new WeakMap<FastifyRequest, HttpError>();

/** A hook for after the request limits: a bearer token that is malformed, unknown or expired gets its 401. */
export async function refuseInvalidTokens(request: FastifyRequest): Promise<void> {
  const refusal = refusals.get(request);
  if (refusal) throw refusal;
}

/** The token of an `Authorization: Bearer …` header (scheme case-insensitive, RFC 6750), if any. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S*)\s*$/i.exec(header);
  return match ? match[1]! : undefined;
}

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
