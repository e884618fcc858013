import type { Logger } from '../observability/logger.ts';
import type { MargFastify } from './app-module.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface DrainOptions {
  /** SHUTDOWN_DRAIN_SECONDS: how long `/health/ready` answers 503 before the server closes. */
  readonly drainMs: number;
  /** Requests still running this long after the close are cut, so a hung request cannot hold the shutdown. */
  readonly closeTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * A web node's graceful stop: not ready (the balancer's health check sees 503 and stops sending
 * requests; meanwhile every response says `Connection: close`, src/http/drain-connections.ts),
 * wait until the balancer has noticed, then close: no new connections, idle ones closed at once,
 * requests in flight finish, and after `closeTimeoutMs` whatever still runs is cut.
 */
export async function drainAndClose(server: MargFastify, lifecycle: Lifecycle, options: DrainOptions): Promise<void> {
  lifecycle.startDraining();
  if (options.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, options.drainMs));
  const closed = server.close();
  const timer = setTimeout(() => {
    options.logger.warn({ closeTimeoutMs: options.closeTimeoutMs }, 'requests still running after the close timeout: closing their connections');
    server.server.closeAllConnections();
  }, options.closeTimeoutMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
