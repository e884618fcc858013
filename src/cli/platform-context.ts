import { loadConfig, type Config, type LoadConfigOptions } from '../config/config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { readWriteContext } from '../database/read-write-context.ts';
import type { AppModule } from '../platform/app-module.ts';
import { appLayout } from '../platform/app-registry.ts';
import { createServices, type Services } from '../platform/services.ts';
import type { CliContext } from './cli-context.ts';

// The platform half of the CLI context: loaded (by context.ts) only once a command runs, so
// `marg --help` and `marg --version` never import the config schema, the drivers or the apps.

/** Pretty lines in a developer's terminal, JSON everywhere else (containers, CI, files). */
function cliLogger(config: Config): Logger {
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

export function cliContext(apps: readonly AppModule[]): CliContext {
  const layout = appLayout(apps);
  const load = (options: Omit<LoadConfigOptions, 'layout'> = {}) => loadConfig({ ...options, layout });
  return { apps, layout, loadConfig: load, withServices: (work) => withServices(load(), work), logger: cliLogger };
}

async function withServices<T>(config: Config, work: (services: Services) => Promise<T>): Promise<T> {
  // On stderr: stdout is the command's result, which scripts read.
  reportWarnings(config, (warning) => process.stderr.write(`marg: warning: ${warning}\n`));
  // One-shot commands print their own results; only warnings and worse are logged.
  const services = await createServices(config, createLogger({ logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel }));
  try {
    // A command that writes then reads (grant, then show) reads its own writes, even with read replicas.
    return await readWriteContext.run({ wrote: false, stickyUntil: 0 }, () => work(services));
  } finally {
    await services.close();
  }
}
