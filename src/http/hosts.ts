import type { FastifyRequest } from 'fastify';

// Served the same on every host, before host routing, and without a session.
const SHARED_PATHS = /^\/(health(\/|$|\?)|assets\/)/;

/** `/health…` and `/assets/…`: answered on any host (load balancers probe by IP) and never need a session. */
export function isSharedPath(url: string): boolean {
  return SHARED_PATHS.test(url);
}

/**
 * Maps a Host header to an app: `flow.marg.localhost:8080` → `flow` when `flow` is a
 * known app and the rest is MARG_DOMAIN. Anything else is an unknown host.
 */
export function appFromHost(host: string | undefined, domain: string, apps: ReadonlySet<string>): string | undefined {
  if (!host) return undefined;
  const name = hostName(host).toLowerCase();
  const suffix = `.${domain}`;
  if (!name.endsWith(suffix)) return undefined;
  const label = name.slice(0, -suffix.length);
  return apps.has(label) ? label : undefined;
}

/** The host without its port (handles `[::1]:8080`). */
export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function hostPort(host: string | undefined): string {
  if (!host) return '';
  const rest = host.slice(hostName(host).length);
  return rest.startsWith(':') ? rest : '';
}

/** An absolute URL on another app's host, keeping the scheme and port this request came in on. */
export function appUrl(request: FastifyRequest, domain: string, app: string, path = '/'): string {
  return `${request.protocol}://${app}.${domain}${hostPort(request.headers.host)}${path}`;
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
    return !appFromHost(url.host, domain, apps) || (url.port ? `:${url.port}` : '') !== hostPort(request.headers.host);
  } catch {
    return true;
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
