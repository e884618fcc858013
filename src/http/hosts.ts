import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from './errors.ts';

// Served the same on every host, before host routing, and without a session.
const SHARED_PATHS = /^\/(health(\/|$|\?)|assets\/|favicon\.ico(\?|$))/;

/**
 * `/health…`, `/assets/…` and `/favicon.ico`: not routed by host and never need a session. `/health…` answers on
 * any host (load balancers probe by IP); `/assets/…` on every allowed host (refuseForeignHosts).
 */
export function isSharedPath(url: string): boolean {
  return SHARED_PATHS.test(url);
}

// A host name of letters, digits, dots and hyphens, or an IPv6 literal, then at most a port of digits.
const HOST_HEADER = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$/i;
// Only `/health…` answers on any host: load balancers probe nodes by IP.
const ANY_HOST_PATHS = /^\/health(\/|$|\?)/;

/** A Host header that is one of ours: the app it names (none for the bare domain or an alias) and its port. */
export interface AllowedHost {
  readonly app: string | undefined;
  readonly port: number | undefined;
}

/**
 * The allowed-host rule: `<app>.<MARG_DOMAIN>`, the bare MARG_DOMAIN or a MARG_HOST_ALIASES
 * name, in any case, with an optional port (1-65535, digits only). Anything else (userinfo
 * such as `host:@evil`, a trailing dot, another domain, an empty or missing Host) is undefined.
 */
export function allowedHost(host: string | undefined, domain: string, apps: ReadonlySet<string>, aliases: ReadonlySet<string> = NO_ALIASES): AllowedHost | undefined {
  const parsed = parseHost(host);
  if (!parsed) return undefined;
  const { name, port } = parsed;
  if (name === domain || aliases.has(name)) return { app: undefined, port };
  const suffix = `.${domain}`;
  if (!name.endsWith(suffix)) return undefined;
  const label = name.slice(0, -suffix.length);
  return apps.has(label) ? { app: label, port } : undefined;
}

const NO_ALIASES: ReadonlySet<string> = new Set();

/** A well-formed Host header split into its lower-cased name and its port; undefined when malformed. */
function parseHost(host: string | undefined): { name: string; port: number | undefined } | undefined {
  const match = host === undefined ? null : HOST_HEADER.exec(host);
  if (!match) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { name: match[1]!.toLowerCase(), port };
}

/**
 * Maps a Host header to an app: `flow.marg.localhost:8080` → `flow` when `flow` is a
 * known app and the rest is MARG_DOMAIN. Anything else is an unknown host.
 */
export function appFromHost(host: string | undefined, domain: string, apps: ReadonlySet<string>): string | undefined {
  return allowedHost(host, domain, apps)?.app;
}

/**
 * Refuses (400 `invalid_host`, answered by `refuse`, the server's error responder) a request
 * whose Host breaks the allowed-host rule, before anything builds a URL from it; `/health…`
 * still answers on any host.
 */
export function refuseForeignHosts(
  domain: string,
  apps: ReadonlySet<string>,
  aliases: ReadonlySet<string>,
  refuse: (request: FastifyRequest, reply: FastifyReply, error: HttpError) => Promise<FastifyReply>,
): onRequestAsyncHookHandler {
  return async (request, reply) => {
    if (ANY_HOST_PATHS.test(request.url) || allowedHost(request.headers.host, domain, apps, aliases)) return;
    return refuse(request, reply, new HttpError(400, 'invalid_host', `This server answers only on the hosts of ${domain}.`));
  };
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/**
 * An absolute URL on an app's host, made from configuration: `<app>.<MARG_DOMAIN>`, the
 * scheme the request came in on (`https` or `http`, nothing else), and the port of its
 * Host header only when that header is well formed (a number, 1-65535; the host guard has
 * refused any other Host before a handler runs; 80 and 443 are left out for their scheme).
 * Nothing is copied raw from the request.
 */
export function appUrl(request: FastifyRequest, domain: string, app: string, path = '/'): string {
  const scheme = request.protocol === 'https' ? 'https' : 'http';
  const port = parseHost(request.headers.host)?.port;
  const shown = port === undefined || port === DEFAULT_PORTS[scheme] ? '' : `:${port}`;
  return `${scheme}://${app}.${domain}${shown}${path}`;
}

/**
 * A safe place to send the browser after sign-in: a path on this host, or a URL on one of
 * the app hosts. Anything else (another site, `//evil`, `javascript:`) is refused.
 */
export function safeRedirectTarget(target: string | undefined, domain: string, apps: ReadonlySet<string>): string | undefined {
  // Browsers drop tabs and newlines from URLs (`/\t/evil.com` becomes `//evil.com`): refuse any such character.
  if (!target || /[\u0000-\u0020\u007f-\u009f]/.test(target)) return undefined;
  if (target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\')) return target;
  try {
    const url = new URL(target);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && appFromHost(url.host, domain, apps)) return url.toString();
  } catch {
    // not a URL
  }
  return undefined;
}

/**
 * Whether a browser request came from a page outside the app hosts (login CSRF): its Origin,
 * or without one its Referer, is not `<app>.<MARG_DOMAIN>` on the port this request came in on
 * (`Origin: null`, from sandboxed frames and some redirects, counts as foreign). A request with
 * neither header (curl, scripts) is not foreign: it carries no browser's ambient authority.
 */
export function isForeignOrigin(request: FastifyRequest, domain: string, apps: ReadonlySet<string>): boolean {
  const origin = firstHeader(request.headers.origin);
  const source = origin ?? firstHeader(request.headers.referer);
  if (source === undefined) return false;
  try {
    const url = new URL(source);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return true;
    // Ports compared as numbers, a missing one being its scheme's default (`:80` and none are the same).
    const originPort = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol.slice(0, -1)];
    const requestPort = parseHost(request.headers.host)?.port ?? DEFAULT_PORTS[request.protocol === 'https' ? 'https' : 'http'];
    return !appFromHost(url.host, domain, apps) || originPort !== requestPort;
  } catch {
    return true;
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
