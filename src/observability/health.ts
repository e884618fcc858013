import { hostname } from 'node:os';
import type { MargFastify } from '../platform/app-module.ts';
import type { Lifecycle } from '../platform/lifecycle.ts';
import type { Services } from '../platform/services.ts';
import { withTimeout } from '../support/timeout.ts';

type CheckState = 'healthy' | 'unhealthy';
const CHECK_TIMEOUT_MS = 2_000;

/** `/health` (dependencies: the status only), `/health/live` (process up), `/health/ready` (take traffic): on every host. */
export async function healthRoutes(app: MargFastify, opts: { services: Services; lifecycle: Lifecycle }): Promise<void> {
  const { services, lifecycle } = opts;

  app.get('/health/live', async () => ({ status: 'alive' }));

  app.get('/health/ready', async (_request, reply) => {
    if (lifecycle.ready) return { status: 'ready' };
    return reply.code(503).send({ status: lifecycle.draining ? 'draining' : 'starting' });
  });

  // Public: the status and the HTTP code only. The details are internal (see healthReport).
  app.get('/health', async (_request, reply) => {
    const report = await healthReport(services);
    return reply.code(report.healthy ? 200 : 503).send({ status: report.body.status });
  });
}

/** Everything `/health` checks, with the details (drivers, databases, node, pid, uptime). */
export interface HealthReport {
  readonly healthy: boolean;
  readonly body: { readonly status: 'healthy' | 'unhealthy' } & Record<string, unknown>;
}

/**
 * Checks every dependency of this process. The details are served only where strangers cannot
 * ask: `GET /health` on the metrics port (METRICS_PORT, never forwarded by the balancers) and
 * `marg health`, which reads that port; the app port's `/health` says only the status.
 */
export async function healthReport(services: Services): Promise<HealthReport> {
  const redisClient = services.redis;
  const [databases, cache, session, redis, queueSize, storage, search] = await Promise.all([
    services.databases.ping(),
    check(() => services.cache.ping()),
    check(() => services.sessions.ping()),
    redisClient ? check(async () => void (await redisClient.client.ping())) : Promise.resolve('not_configured' as const),
    withTimeout(services.queue.size(), CHECK_TIMEOUT_MS).catch(() => undefined),
    check(() => services.storage.ping()),
    check(() => services.search.engine.ping()),
  ]);
  // A backlog is reported, not failed: the node still serves; a queue store that does not answer fails.
  const queue = queueSize === undefined ? 'unhealthy' : queueSize >= services.config.queue.backlogThreshold ? 'backlog' : 'healthy';
  const databaseStates = Object.fromEntries(Object.entries(databases).map(([name, error]) => [name, error === null ? 'healthy' : 'unhealthy']));
  const database: CheckState = Object.values(databaseStates).every((s) => s === 'healthy') ? 'healthy' : 'unhealthy';
  const healthy = database === 'healthy' && cache === 'healthy' && session === 'healthy' && redis !== 'unhealthy' && queue !== 'unhealthy' && storage === 'healthy';
  const body = {
    status: healthy ? ('healthy' as const) : ('unhealthy' as const),
    database,
    // "not_configured" while every port runs embedded.
    redis,
    cache,
    session,
    queue,
    queueSize: queueSize ?? null,
    storage,
    // Reported, not failed: a node without its search engine still serves everything else.
    search,
    databases: databaseStates,
    drivers: {
      database: Object.fromEntries(Object.entries(services.config.databases).map(([name, db]) => [name, db.connection])),
      cache: services.cache.driver,
      session: services.sessions.driver,
      lock: services.locks.driver,
      rateLimit: services.rateLimits.driver,
      queue: services.queue.driverName,
      storage: services.storage.driver,
      search: services.search.driver,
    },
    node: hostname(),
    pid: process.pid,
    uptimeSeconds: Math.round(process.uptime()),
  };
  return { healthy, body };
}

async function check(probe: () => Promise<void>): Promise<CheckState> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS);
    return 'healthy';
  } catch {
    return 'unhealthy';
  }
}
