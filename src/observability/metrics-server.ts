import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config/env-files.ts';
import type { Services } from '../platform/services.ts';
import { healthReport } from './health.ts';
import { collectProcessMetrics, clearBackendSource, clearQueueStatsSource, registry, setBackendSource, setMetricsRole, setQueueStatsSource, type BackendStatus, type MetricsRole } from './metrics.ts';

/** The internal metrics endpoint of one process. */
export interface MetricsServer {
  readonly host: string;
  /** The port bound (METRICS_PORT=0 picks a free one). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and `GET /health` with its details) on METRICS_HOST:METRICS_PORT when METRICS_PORT is set (else does
 * nothing and returns undefined). A port of its own, never the app port, so the shipped
 * load-balancer configs (which forward only the app port) never expose it.
 * Any role serves the cluster-wide queue depth too (read from the queue store at scrape time).
 * A tiny node:http server: Fastify's routing, hooks and logging would only get in the way.
 */
export async function startMetricsServer(services: Services, role: MetricsRole): Promise<MetricsServer | undefined> {
  const { port, host } = services.config.metrics;
  if (port === undefined) return undefined;
  const queueStats = () => services.queue.stats();
  const backends = async (): Promise<BackendStatus> => {
    const [databases, redis] = await Promise.all([
      services.databases.ping(),
      services.redis ? services.redis.ready(2_000).then(() => true, () => false) : Promise.resolve(undefined),
    ]);
    // Embedded SQLite cannot be "down" in the sense the alert means: only server databases are reported.
    const servers = Object.entries(databases).filter(([name]) => services.config.databases[name]?.connection !== 'sqlite');
    return { databases: Object.fromEntries(servers.map(([name, error]) => [name, error === null])), redis };
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics' && path !== '/health') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at GET /metrics, health details at GET /health\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    if (path === '/health') {
      // The details the public /health leaves out (drivers, databases, node, pid, uptime): internal only.
      healthReport(services).then(
        (report) => {
          response.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
          response.end(request.method === 'HEAD' ? undefined : JSON.stringify(report.body));
        },
        (error: unknown) => {
          services.logger.error({ err: error }, 'health check failed');
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('health check failed; see the log\n');
        },
      );
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        services.logger.error({ err: error }, 'collecting metrics failed');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('collecting metrics failed; see the log\n');
      },
    );
  });
  // A scraper that opens a connection and says nothing must not hold it for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  await listen(server, host, port);
  // Only once the port is ours: a process that fails to start must not relabel another's metrics.
  setMetricsRole(role);
  collectProcessMetrics();
  setQueueStatsSource(queueStats);
  setBackendSource(backends);
  const bound = (server.address() as AddressInfo).port;
  services.logger.info({ host, port: bound, role }, 'metrics at GET /metrics');
  let closing: Promise<void> | undefined;
  return {
    host,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearQueueStatsSource(queueStats);
        clearBackendSource(backends);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new ConfigError([`METRICS_PORT: ${port} on ${host} is already in use (another Marg process on this machine? give each its own METRICS_PORT)`]));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new ConfigError([`METRICS_HOST: cannot listen on ${host} (${error.code})`]));
      else reject(error);
    };
    server.once('error', onError);
    // Exclusive: under `marg serve`'s supervisor (node:cluster) a listen is otherwise shared through
    // the supervisor, and a port-0 listen would be handed to whichever process asks next (the web port).
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
