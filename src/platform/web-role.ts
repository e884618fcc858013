import type { Server } from 'node:http';
import { buildServer } from '../http/server.ts';
import type { MetricsRole } from '../observability/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server.ts';
import type { AppModule, MargFastify } from './app-module.ts';
import type { Role } from './boot.ts';
import { drainAndClose } from './drain.ts';
import { Lifecycle } from './lifecycle.ts';
import type { Services } from './services.ts';

/**
 * Requests still running this long after the close are cut. Shorter than `marg cluster`'s stop
 * timeout after the drain (20 s, src/cluster/members.ts), so a node exits by itself, not by SIGKILL.
 */
const CLOSE_TIMEOUT_MS = 15_000;

export interface RunningWeb {
  readonly server: MargFastify;
  readonly lifecycle: Lifecycle;
  /** The port actually bound (PORT=0 picks a free one). */
  readonly port: number;
  /** GET /metrics on METRICS_PORT, when set. */
  readonly metrics: MetricsServer | undefined;
  /** Graceful stop: not ready, wait for the balancer to notice, finish in-flight requests, close. */
  stop(): Promise<void>;
}

export interface WebOptions {
  /** The role the metrics endpoint names: `web`, or `all` for `marg start`; false: the caller serves metrics (bootRoles). */
  readonly metricsRole?: MetricsRole | false;
}

/** The web role for bootRoles (which serves the metrics endpoint itself); `onListening` learns the port bound (and the HTTP server, for WebSocket upgrades). */
export function webRole(onListening?: (port: number, server: Server) => void): Role {
  return {
    name: 'web',
    async start(services, apps) {
      const web = await startWeb(services, apps, { metricsRole: false });
      onListening?.(web.port, web.server.server);
      const { config, logger } = services;
      logger.info({ host: config.host, port: web.port, domain: config.domain }, 'web role ready');
      return { stop: () => web.stop() };
    },
  };
}

export async function startWeb(services: Services, apps: readonly AppModule[], options: WebOptions = {}): Promise<RunningWeb> {
  const lifecycle = new Lifecycle();
  const server = await buildServer(services, apps, lifecycle);
  const metrics = options.metricsRole === false ? undefined : await startMetricsServer(services, options.metricsRole ?? 'web');
  try {
    await server.listen({ host: services.config.host, port: services.config.port });
  } catch (error) {
    await metrics?.close();
    throw error;
  }
  lifecycle.markReady();
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : services.config.port;
  let stopping: Promise<void> | undefined;
  return {
    server,
    lifecycle,
    port,
    metrics,
    stop() {
      stopping ??= (async () => {
        await drainAndClose(server, lifecycle, { drainMs: services.config.http.drainSeconds * 1000, closeTimeoutMs: CLOSE_TIMEOUT_MS, logger: services.logger });
        // Last: Prometheus sees the drain until the process is gone.
        await metrics?.close();
      })();
      return stopping;
    },
  };
}
