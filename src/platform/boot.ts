import type { Config } from '../config/config.ts';
import type { MetricsRole } from '../observability/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server.ts';
import type { Logger } from '../observability/logger.ts';
import type { AppModule } from './app-module.ts';
import { assertReachable, createMissingDatabases } from './connectivity.ts';
import { migrateAll, pendingMigrations } from './migrate.ts';
import { startTelemetryReporter, type RunningReporter } from '../telemetry/reporter.ts';
import { createServices, type Services } from './services.ts';
import { onShutdownSignal } from './signals.ts';
import { BootError } from './errors.ts';

export { BootError };

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
  /** False: this process does not serve METRICS_PORT (a web process of `marg serve` other than the first: one per node). */
  readonly metrics?: boolean;
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
  const services = await createServices(config, logger);
  const running: RunningRole[] = [];
  let metrics: MetricsServer | undefined;
  let reporter: RunningReporter | undefined;
  try {
    await assertReachable(services);
    if (options.migrations === 'apply') {
      await migrateAll(services, apps);
    } else {
      const pending = await pendingMigrations(services, apps);
      if (pending.length > 0) throw new BootError(`the databases are not migrated (${pending.length} pending, e.g. ${pending[0]}): run \`marg migrate\` first`);
    }
    await options.prepare?.(services);
    if (options.metrics !== false) metrics = await startMetricsServer(services, options.metricsRole);
    for (const role of options.roles) running.push(await role.start(services, apps));
    // The heartbeat and per-minute aggregates the ops app shows (issue 18).
    const roles = options.roles.map((r) => r.name);
    reporter = startTelemetryReporter({ store: services.telemetry, roles, logger, name: config.nodeName, ...(roles.includes('worker') ? { queues: services.queue } : {}) });
  } catch (error) {
    await reporter?.stop();
    await stopAll(running);
    await metrics?.close();
    await services.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stopAll(running);
      await reporter?.stop();
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
export async function runRoles(
  options: BootOptions & { onReady?(booted: Booted): void | Promise<void>; onSignal?(signal: NodeJS.Signals): void; signals?: 'interactive' | 'supervised' },
): Promise<void> {
  const booting = bootRoles(options);
  // Listening before any role starts: a SIGTERM that comes as soon as a role says it is ready
  // (or while the others boot) waits for the boot, then stops the roles gracefully, instead of
  // the default action killing the process mid-job. A second signal still exits at once.
  onShutdownSignal(async (signal) => {
    options.onSignal?.(signal);
    await (await booting).stop();
  }, options.signals);
  const booted = await booting;
  await options.onReady?.(booted);
  process.exit(await booted.finished);
}
