import { loadConfig, type Config, type LoadConfigOptions } from '../config/config.ts';
import { ConfigError } from '../config/env-files.ts';
import type { AppLayout } from '../config/layout.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { readWriteContext } from '../database/read-write-context.ts';
import type { AppModule } from '../platform/app-module.ts';
import { BootError } from '../platform/boot.ts';
import { appLayout } from '../platform/app-registry.ts';
import { UnreachableError } from '../platform/connectivity.ts';
import { createServices, type Services } from '../platform/services.ts';

/** A CLI failure the user can fix: printed as one clear message, exit code 2, no stack. */
export class UsageError extends Error {}

/** Pretty lines in a developer's terminal, JSON everywhere else (containers, CI, files). */
export function cliLogger(config: Config): Logger {
  const logger = createLogger(config, { pretty: Boolean(process.stdout.isTTY) && config.env === 'development' });
  reportWarnings(config, (warning) => logger.warn(warning));
  return logger;
}

let warned = false;

/** The config's warnings (guide variables Marg does not use), once per process, whichever of cliLogger and withServices comes first. */
function reportWarnings(config: Config, write: (warning: string) => void): void {
  if (warned) return;
  warned = true;
  for (const warning of config.warnings) write(warning);
}

/**
 * What every command gets: the apps (handed to `main` once, by bin/marg.js), and config and
 * services built for them.
 */
export interface CliContext {
  readonly apps: readonly AppModule[];
  readonly layout: AppLayout;
  /** The configuration for these apps (their databases and `<NAME>_DB_*` variables included). */
  loadConfig(options?: Omit<LoadConfigOptions, 'layout'>): Config;
  /** Loads config and opens services for one command, closing them afterwards. */
  withServices<T>(work: (services: Services) => Promise<T>): Promise<T>;
}

export function cliContext(apps: readonly AppModule[]): CliContext {
  const layout = appLayout(apps);
  const load = (options: Omit<LoadConfigOptions, 'layout'> = {}) => loadConfig({ ...options, layout });
  return { apps, layout, loadConfig: load, withServices: (work) => withServices(load(), work) };
}

async function withServices<T>(config: Config, work: (services: Services) => Promise<T>): Promise<T> {
  // On stderr: stdout is the command's result, which scripts read.
  reportWarnings(config, (warning) => process.stderr.write(`marg: warning: ${warning}\n`));
  // One-shot commands print their own results; only warnings and worse are logged.
  const services = createServices(config, createLogger({ logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel }));
  try {
    // A command that writes then reads (grant, then show) reads its own writes, even with read replicas.
    return await readWriteContext.run({ wrote: false, stickyUntil: 0 }, () => work(services));
  } finally {
    await services.close();
  }
}

/** Runs a command body, turning known failures into a message and an exit code. */
export async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
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
