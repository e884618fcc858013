import type { Config, LoadConfigOptions } from '../config/config.ts';
import type { AppLayout } from '../config/layout.ts';
import type { Logger } from '../observability/logger.ts';
import type { AppModule } from '../platform/app-module.ts';
import type { Services } from '../platform/services.ts';

/**
 * What every command gets: the apps (loaded through the loader bin/marg.js hands to `main`), and
 * config and services built for them. Usable in a command's action only: the platform behind
 * it is imported just before the action runs, never for `--help`.
 */
export interface CliContext {
  readonly apps: readonly AppModule[];
  readonly layout: AppLayout;
  /** The configuration for these apps (their databases and `<NAME>_DB_*` variables included). */
  loadConfig(options?: Omit<LoadConfigOptions, 'layout'>): Config;
  /** Loads config and opens services for one command, closing them afterwards. */
  withServices<T>(work: (services: Services) => Promise<T>): Promise<T>;
  /** The logger of a long-running role: pretty lines in a developer's terminal, JSON everywhere else; reports the config's warnings once. */
  logger(config: Config): Logger;
}
