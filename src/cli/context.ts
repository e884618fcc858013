import { ConfigError } from '../config/env-files.ts';
import type { AppModule } from '../platform/app-module.ts';
import { BootError, UnreachableError } from '../platform/errors.ts';
import type { CliContext } from './cli-context.ts';

export type { CliContext };

/** A CLI failure the user can fix: printed as one clear message, exit code 2, no stack. */
export class UsageError extends Error {}

export interface LazyCliContext {
  readonly context: CliContext;
  /** Imports the apps and the platform; main runs it before any command's action. */
  load(): Promise<void>;
}

export function lazyCliContext(loadApps: () => Promise<readonly AppModule[]>): LazyCliContext {
  let loaded: CliContext | undefined;
  const ready = (): CliContext => {
    if (!loaded) throw new Error('the CLI context is used before main loaded it (outside a command action)');
    return loaded;
  };
  return {
    context: {
      get apps() {
        return ready().apps;
      },
      get layout() {
        return ready().layout;
      },
      loadConfig: (options) => ready().loadConfig(options),
      withServices: (work) => ready().withServices(work),
      logger: (config) => ready().logger(config),
    },
    async load() {
      if (loaded) return;
      const [apps, { cliContext }] = await Promise.all([loadApps(), import('./platform-context.ts')]);
      loaded = cliContext(apps);
    },
  };
}

/** How long a failed command may take to close what it opened before it is made to exit. */
const EXIT_AFTER_FAILURE_MS = 3_000;

/** Runs a command body, turning known failures into a message and an exit code. */
export async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    // A failure half-way through a boot (a database that timed out) can leave a pool or a socket
    // open: exit anyway, so that a supervisor or a container runtime restarts the process instead
    // of it hanging. Unref'd: it fires only when something else still holds the process.
    setTimeout(() => process.exit(), EXIT_AFTER_FAILURE_MS).unref();
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof BootError) {
      process.stderr.write(`marg: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof UnreachableError) {
      process.stderr.write(`marg: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`marg: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
