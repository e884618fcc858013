import { isIPv6 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter, RateLimitStore } from '../ratelimit/contract.ts';
import { LeasedRateLimiter } from '../ratelimit/leased.ts';
import { withTimeout } from '../support/timeout.ts';
import { HttpError } from './errors.ts';
import { routePath } from './route-path.ts';

const WINDOW_MS = 60_000;
// A rate-limit store that hangs must not hold the API: the request goes through, with a warning.
const STORE_TIMEOUT_MS = 1_000;
const WARN_EVERY_MS = 10_000;
/**
 * `/<app>/api…` after host routing (unknown hosts are `/_unknown-host/…`, which this never matches).
 * Both patterns are matched against the route the router picked (routePath), never the raw URL.
 */
const API_PATH = /^\/([a-z0-9-]+)\/api(?:\/|$)/;
/** The JSON sign-in on every host, the sign-in form, and the password reset (API and form) on the accounts host. */
const SIGNIN_PATH = /^\/[a-z0-9-]+\/(?:api\/session|signin|(?:api\/)?password\/(?:forgot|reset))$/;

export interface RequestLimitsOptions {
  readonly store: RateLimitStore;
  /** API requests per minute per user (per client IP when signed out) on each app; 0 = off. */
  readonly apiPerMinute: number;
  /** Sign-in attempts per minute per client IP; 0 = off. */
  readonly signinPerMinute: number;
  /** Told when unspent API points could not be given back to the store. */
  readonly onStoreError?: (error: unknown) => void;
}

export interface RequestLimits {
  /** The onRequest hook. */
  readonly limit: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Gives unspent leased points back to the store (on server close). */
  readonly close: () => Promise<void>;
}

interface Counted {
  readonly limit: number;
  readonly allowed: boolean;
  readonly remaining: number;
}

/**
 * Request limits in fixed one-minute windows aligned to the clock, counted in the shared
 * rate-limit store (RATE_LIMIT_STORE: Redis across nodes, SQLite for one machine):
 *
 * - the API (`/api/*` on each app host): API_RATE_LIMIT per user, or per client IP when signed
 *   out, and per app, as the guides' 100 requests/min per user;
 * - sign-in attempts (POST /api/session, POST /signin, and the password forgot/reset posts):
 *   SIGNIN_RATE_LIMIT per client IP. Counted
 *   before the password is checked, so a burst cannot outrun the failure lockout of
 *   src/auth/signin.ts (which peeks first and counts failures after the slow hash) nor spend
 *   the CPU on password hashes.
 *
 * Aligned windows give every node the same reset time to announce (`RateLimit-Reset`, the
 * IETF draft's header, with `RateLimit-Limit` and `-Remaining`); a 429 adds `Retry-After`.
 * `/health*` and pages are never limited. A store failure lets requests through (logged):
 * the limits protect the service, they must not become its outage.
 *
 * Returns undefined when both limits are off.
 */
export function requestLimits(options: RequestLimitsOptions): RequestLimits | undefined {
  const { store, apiPerMinute, signinPerMinute } = options;
  if (apiPerMinute <= 0 && signinPerMinute <= 0) return undefined;
  const apiRule = { points: apiPerMinute, windowSeconds: WINDOW_MS / 1000 };
  // Sign-ins stay one store hit each: a slow, exact count, and the sign-in code resets it.
  const api = apiPerMinute > 0 ? new LeasedRateLimiter(store.limiter('api_requests', apiRule), apiRule, options.onStoreError) : undefined;
  const signin = signinPerMinute > 0 ? store.limiter('signin_requests', { points: signinPerMinute, windowSeconds: WINDOW_MS / 1000 }) : undefined;
  let warnedAt = Number.NEGATIVE_INFINITY;

  async function count(limiter: RateLimiter, limit: number, key: string, request: FastifyRequest): Promise<Counted | undefined> {
    try {
      const result = await withTimeout(limiter.hit(key), STORE_TIMEOUT_MS);
      return { limit, allowed: result.allowed, remaining: result.remaining };
    } catch (error) {
      if (performance.now() - warnedAt > WARN_EVERY_MS) {
        warnedAt = performance.now();
        request.log.warn({ err: error }, 'rate-limit store unavailable: requests are not limited');
      }
      return undefined;
    }
  }

  async function limitRequests(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const route = routePath(request);
    const apiMatch = api ? API_PATH.exec(route) : null;
    const isSignIn = signin !== undefined && request.method === 'POST' && SIGNIN_PATH.test(route);
    if (!apiMatch && !isSignIn) return;

    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    // request.ip: the socket's address, or what TRUSTED_PROXIES vouch for (undefined once a socket is gone).
    const client = clientKey(request.ip ?? 'unknown');
    const [apiResult, signinResult] = await Promise.all([
      apiMatch && api ? count(api, apiPerMinute, `${apiMatch[1]}:${who(request, client)}:${window}`, request) : undefined,
      isSignIn && signin ? count(signin, signinPerMinute, `${client}:${window}`, request) : undefined,
    ]);
    // The headers describe the limit closest to refusing this client.
    const shown = [signinResult, apiResult].filter((r): r is Counted => r !== undefined).sort((a, b) => Number(a.allowed) - Number(b.allowed) || a.remaining - b.remaining)[0];
    if (!shown) return;
    const headers: Record<string, string> = {
      'ratelimit-limit': String(shown.limit),
      'ratelimit-remaining': String(shown.remaining),
      'ratelimit-reset': String(resetSeconds),
    };
    if (shown.allowed) {
      reply.headers(headers);
      return;
    }
    const what = shown === signinResult ? 'sign-in attempts' : 'requests';
    throw new HttpError(429, 'too_many_requests', `Too many ${what}: the limit is ${shown.limit} a minute. Try again in ${resetSeconds} s.`, undefined, {
      ...headers,
      'retry-after': String(resetSeconds),
    });
  }

  return { limit: limitRequests, close: async () => api?.close() };
}

function who(request: FastifyRequest, client: string): string {
  // A token counts against its user's limit, as their sessions do.
  const userId = request.session?.userId ?? request.accessToken?.userId;
  return userId === undefined ? `ip:${client}` : `user:${userId}`;
}

/**
 * The client's address as a counter key: IPv4 as is (also when IPv4-mapped, `::ffff:1.2.3.4`),
 * IPv6 by its /64 prefix, since one subscriber usually holds a whole /64 and could otherwise
 * walk through it to get a fresh limit per address.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const address = ip.split('%', 1)[0]!;
  if (!isIPv6(address)) return ip;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** `2001:db8::1` → the eight 16-bit groups, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const left = groups(head);
  const right = groups(tail);
  const middle = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}
