import { buildServer } from '../http/server.ts';
import type { AppModule, MargFastify } from './app-module.ts';
import { Lifecycle } from './lifecycle.ts';
import type { Services } from './services.ts';

export interface RunningWeb {
  readonly server: MargFastify;
  readonly lifecycle: Lifecycle;
  /** The port actually bound (PORT=0 picks a free one). */
  readonly port: number;
  /** Graceful stop: not ready, wait for the balancer to notice, finish in-flight requests, close. */
  stop(): Promise<void>;
}

export async function startWeb(services: Services, apps: readonly AppModule[]): Promise<RunningWeb> {
  const lifecycle = new Lifecycle();
  const server = await buildServer(services, apps, lifecycle);
  await server.listen({ host: services.config.host, port: services.config.port });
  lifecycle.markReady();
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : services.config.port;
  let stopping: Promise<void> | undefined;
  return {
    server,
    lifecycle,
    port,
    stop() {
      stopping ??= (async () => {
        lifecycle.startDraining();
        const drainMs = services.config.http.drainSeconds * 1000;
        if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
        await server.close();
      })();
      return stopping;
    },
  };
}
