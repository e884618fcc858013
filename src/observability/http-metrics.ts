import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isSharedPath } from '../http/hosts.ts';
import { telemetry } from '../telemetry/recorder.ts';
import { httpRequestDuration, httpRequestFinished, httpRequestStarted } from './metrics.ts';

/** What a request is counted (and logged) as: its app and its route pattern, never the raw URL. */
export interface RouteLabels {
  /** An app name; `platform` for `/health*` and `/assets/*`; `unknown` for a host that is no app's. */
  readonly app: string;
  /** The route pattern without the app prefix (`/api/tasks/:id`, `/:slug`); `unmatched` for a 404 without a route. */
  readonly route: string;
}

const UNMATCHED = 'unmatched';

/**
 * Labels from the rewritten URL (`/flow/api/tasks/7`, see server.ts rewriteUrl) and the matched
 * route's pattern (`/flow/api/tasks/:id`). Patterns are few, so their labels are computed once.
 */
export function routeLabeller(apps: readonly string[]): (request: FastifyRequest) => RouteLabels {
  const known = new Set(apps);
  const byPattern = new Map<string, RouteLabels>();
  const appOf = (path: string): string => {
    if (isSharedPath(path)) return 'platform';
    const segment = /^\/([^/?]*)/.exec(path)?.[1] ?? '';
    return known.has(segment) ? segment : 'unknown';
  };
  return (request) => {
    if (request.is404) return { app: appOf(request.url), route: UNMATCHED };
    const pattern = request.routeOptions.url;
    if (pattern === undefined) return { app: appOf(request.url), route: UNMATCHED };
    let labels = byPattern.get(pattern);
    if (!labels) {
      const app = appOf(pattern);
      const route = known.has(app) ? pattern.slice(app.length + 1) || '/' : pattern;
      labels = { app, route };
      byPattern.set(pattern, labels);
    }
    return labels;
  };
}

/**
 * `marg_http_request_duration_seconds` and `marg_http_requests_in_flight` for every request,
 * labelled by `labelsOf` (a routeLabeller, shared with the request log line).
 * Register it on the root server (fastify-plugin: its hook sees every route and the 404
 * handler). The duration is Fastify's `reply.elapsedTime`: from the start of the onRequest
 * hooks until the response is sent. Kept cheap: one onResponse hook; in-flight requests are
 * counted on the raw server, where a request that the client abandons is still seen to end
 * ('close' fires whether or not the response finished; onResponse does not then).
 */
export const httpMetrics = fp<{ labelsOf: (request: FastifyRequest) => RouteLabels }>(
  async (app, { labelsOf }) => {
    // prom-client hashes and validates labels on every observe; a bound child per label set halves that.
    const children = new Map<string, ReturnType<typeof httpRequestDuration.labels>>();
    app.server.on('request', (_request, response) => {
      httpRequestStarted();
      response.once('close', httpRequestFinished);
    });
    app.addHook('onResponse', (request, reply, done) => {
      const { app: appName, route } = labelsOf(request);
      const key = `${appName} ${route} ${request.method} ${reply.statusCode}`;
      let child = children.get(key);
      if (!child) {
        child = httpRequestDuration.labels(appName, route, request.method, String(reply.statusCode));
        children.set(key, child);
      }
      child.observe(reply.elapsedTime / 1000);
      // The ops app's per-minute view: in-memory counters, written out by the telemetry reporter.
      telemetry.request(`${request.method} ${appName} ${route}`, reply.statusCode, reply.elapsedTime);
      done();
    });
    app.addHook('onError', (request, _reply, error, done) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) {
        const { app: appName, route } = labelsOf(request);
        telemetry.exception(error.name || 'Error', `${request.method} ${appName} ${route}`, error.message);
      }
      done();
    });
  },
  { name: 'marg-http-metrics' },
);
