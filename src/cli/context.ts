import { loadConfig, type Config } from '../config/config.ts';
import { ConfigError } from '../config/env-files.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { readWriteContext } from '../database/read-write-context.ts';
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

/** Loads config and opens services for one command, closing them afterwards. */
export async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
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
    if (error instanceof ConfigError || error instanceof UsageError) {
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
