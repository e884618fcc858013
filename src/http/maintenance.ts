import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MaintenanceMonitor } from '../maintenance/monitor.ts';
import { BYPASS_LIFETIME_SECONDS, MaintenanceSecrets } from '../maintenance/secrets.ts';
import { HttpError } from './errors.ts';
import { isSharedPath } from './hosts.ts';
import { routePath } from './route-path.ts';

/** The cookie `/<secret>` sets; shared by every app host through SESSION_DOMAIN, like the session. */
export const BYPASS_COOKIE = 'marg_maintenance';
export const MAINTENANCE_MESSAGE = 'Marg is down for maintenance and will be back shortly. Please try again in a few minutes.';

// Requests that presented the secret: their URL is the secret, so the request log must not show it.
const secretRequests = new WeakSet<FastifyRequest>();

// Query parameters that carry a credential (the password reset link's `token`): logged as [redacted].
const SECRET_QUERY = /([?&]token=)[^&#]*/gi;

/** The URL to log for a request (the bypass secret and a reset token are never written to a log line). */
export function loggableUrl(request: FastifyRequest): string {
  if (secretRequests.has(request)) return '/[maintenance secret]';
  const url = request.originalUrl;
  return url.includes('token=') ? url.replace(SECRET_QUERY, '$1[redacted]') : url;
}

export interface MaintenanceGateOptions {
  readonly monitor: MaintenanceMonitor;
  readonly secrets: MaintenanceSecrets;
  readonly cookieDomain: string;
}

/**
 * While `marg down` is in force, every app request gets a 503 with Retry-After (a page for
 * browsers, JSON for API clients; the error handler renders it), except `/health*` (load
 * balancers must keep every node in rotation, so visitors see this page and not the balancer's
 * own error) and `/assets/*` (the page's stylesheet). `GET /<secret>` sets a bypass cookie and
 * redirects to `/`; a request with a valid cookie passes.
 * Runs after the session is loaded: a 503 must leave the visitor's session and cookie alone.
 */
export function maintenanceGate(options: MaintenanceGateOptions) {
  const { monitor, secrets, cookieDomain } = options;
  return async function maintenance(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    // The route the router matched: `/%68ealth` on an app host is routed as the app's, and is gated.
    if (isSharedPath(routePath(request))) return undefined;
    const state = await monitor.current();
    if (!state) return undefined;
    if (state.secretHash) {
      const path = request.originalUrl.split('?', 1)[0]!;
      if ((request.method === 'GET' || request.method === 'HEAD') && secrets.matches(singleSegment(path), state.secretHash)) {
        secretRequests.add(request);
        reply.header('cache-control', 'no-store');
        reply.setCookie(BYPASS_COOKIE, secrets.cookie(state.secretHash), {
          domain: cookieDomain,
          path: '/',
          httpOnly: true,
          sameSite: 'lax',
          secure: request.protocol === 'https',
          maxAge: BYPASS_LIFETIME_SECONDS,
        });
        return reply.redirect('/', 302);
      }
      const cookie = request.cookies[BYPASS_COOKIE];
      if (cookie && secrets.verifyCookie(cookie, state.secretHash)) return undefined;
    }
    throw new HttpError(503, 'maintenance', state.message ?? MAINTENANCE_MESSAGE, undefined, {
      'retry-after': String(state.retryAfterSeconds),
      // A cache or CDN in front must not keep serving the maintenance page after `marg up`.
      'cache-control': 'no-store',
    });
  };
}

/** `/abc` → `abc`; anything that is not exactly one path segment → '' (never a secret). */
function singleSegment(path: string): string {
  if (!path.startsWith('/') || path.indexOf('/', 1) !== -1) return '';
  return path.slice(1);
}
