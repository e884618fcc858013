import type { Config } from '../config/config.ts';
import type { MetricsRole } from '../observability/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server.ts';
import type { Logger } from '../observability/logger.ts';
import type { AppModule } from './app-module.ts';
import { assertReachable, createMissingDatabases } from './connectivity.ts';
import { migrateAll, pendingMigrations } from './migrate.ts';
import { createServices, type Services } from './services.ts';
import { onShutdownSignal } from './signals.ts';

/** A role that cannot start as configured (e.g. the databases are not migrated): one clear message, exit 2. */
export class BootError extends Error {
  override name = 'BootError';
}

/** One role of a process (web, worker, scheduler …), started on the process's services. */
export interface Role {
  readonly name: string;
  start(services: Services, apps: readonly AppModule[]): Promise<RunningRole>;
}

export interface RunningRole {
  /** Graceful: a web node drains, a worker lets running jobs finish, a scheduler waits for its tasks. */
  stop(): Promise<void>;
  /** Resolves, with the exit code the process should end with, when the role ends by itself (`marg work --max-jobs`). */
  readonly finished?: Promise<number>;
}

export interface BootOptions {
  readonly apps: readonly AppModule[];
  readonly config: Config;
  readonly logger: Logger;
  /** Started in this order, stopped in this order (web first, so no new work arrives while the rest drains). */
  readonly roles: readonly Role[];
  /** What GET /metrics (METRICS_PORT) names this process: `web`, `worker`, `scheduler`, or `all`. */
  readonly metricsRole: MetricsRole;
  /** `apply`: create missing databases and migrate (marg start); `require`: refuse to start while a migration is pending. */
  readonly migrations: 'apply' | 'require';
  /** After the migrations, before any role starts (marg start seeds its demo data here). */
  prepare?(services: Services): Promise<void>;
}

export interface Booted {
  readonly services: Services;
  readonly roles: readonly RunningRole[];
  /** Stops every role, the metrics endpoint and the services; once. */
  stop(): Promise<void>;
  /** Resolves with an exit code when a role ended by itself and everything was stopped. */
  readonly finished: Promise<number>;
}

/**
 * The start-up sequence every role shares: services from config → every store reachable →
 * migrations applied or checked → metrics endpoint → the roles. Whatever fails on the way
 * closes what was opened. Shutdown runs in the opposite direction.
 */
export async function bootRoles(options: BootOptions): Promise<Booted> {
  const { config, logger, apps } = options;
  if (options.migrations === 'apply') await createMissingDatabases(config);
  const services = createServices(config, logger);
  const running: RunningRole[] = [];
  let metrics: MetricsServer | undefined;
  try {
    await assertReachable(services);
    if (options.migrations === 'apply') {
      await migrateAll(services, apps);
    } else {
      const pending = await pendingMigrations(services, apps);
      if (pending.length > 0) throw new BootError(`the databases are not migrated (${pending.length} pending, e.g. ${pending[0]}): run \`marg migrate\` first`);
    }
    await options.prepare?.(services);
    metrics = await startMetricsServer(services, options.metricsRole);
    for (const role of options.roles) running.push(await role.start(services, apps));
  } catch (error) {
    await stopAll(running);
    await metrics?.close();
    await services.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stopAll(running);
      // Last: Prometheus sees the drain until the process is gone.
      await metrics?.close();
      await services.close();
      logger.flush();
    })());
  const ends = running.flatMap((r) => (r.finished ? [r.finished] : []));
  const finished = ends.length === 0 ? new Promise<number>(() => {}) : Promise.race(ends).then(async (code) => (await stop(), code));
  return { services, roles: running, stop, finished };
}

async function stopAll(roles: readonly RunningRole[]): Promise<void> {
  for (const role of roles) await role.stop();
}

/**
 * A role process as the CLI runs it: boot, then stop gracefully on SIGTERM/SIGINT (a second
 * signal exits at once), and exit when a role ends by itself.
 */
export async function runRoles(options: BootOptions & { onReady?(booted: Booted): void; onSignal?(signal: NodeJS.Signals): void }): Promise<void> {
  const booted = await bootRoles(options);
  options.onReady?.(booted);
  onShutdownSignal(async (signal) => {
    options.onSignal?.(signal);
    await booted.stop();
  });
  process.exit(await booted.finished);
}
