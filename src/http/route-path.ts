import type { FastifyRequest } from 'fastify';

/**
 * The path that security decisions (rate limits, the maintenance gate, which requests carry a
 * session, JSON or HTML errors) look at: the route pattern the router matched
 * (`/flow/api/tasks/:id`), so that they see exactly what routing saw. Never the raw
 * `request.url`: the router decodes it first, so `/%61pi/session` is routed as `/api/session`.
 * A request that matched no route gets its path normalised the way a router could read it
 * (decoded once, lowercase, without repeated or trailing slashes), so a 404 is classed the
 * same whatever spelling reached it.
 */
export function routePath(request: FastifyRequest): string {
  let matched: string | undefined;
  try {
    matched = request.routeOptions.url;
  } catch {
    // Requests Fastify answers before routing (frameworkErrors) have no route context.
  }
  return matched ?? normalisePath(request.url);
}

/** `/Flow//%61pi/Tasks/?x` → `/flow/api/tasks`. */
export function normalisePath(url: string): string {
  const path = url.split('?', 1)[0]!;
  let decoded = path;
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path);
    } catch {
      // Not valid percent-encoding: the router refuses it too; classify it as sent.
    }
  }
  return decoded.toLowerCase().replace(/\/{2,}/g, '/').replace(/(.)\/+$/, '$1');
}
