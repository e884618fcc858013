import type { Command } from 'commander';
import { APPS } from '../../../apps/index.ts';
import { loadConfig } from '../../config/config.ts';
import { assertReachable } from '../../platform/connectivity.ts';
import { pendingMigrations } from '../../platform/migrate.ts';
import { createServices } from '../../platform/services.ts';
import { startWeb } from '../../platform/web-role.ts';
import { UsageError, cliLogger, run } from '../context.ts';
import { onShutdownSignal } from '../signals.ts';

/** The web role alone (DESIGN §1): stateless, run N of them behind a load balancer. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the web role: HTTP for every app on HOST:PORT (migrate first with `marg migrate`)')
    .action(() =>
      run(async () => {
        const config = loadConfig();
        if (!config.appKey) throw new UsageError('APP_KEY is not set: run `marg key:generate`, or set APP_KEY (or APP_KEY_FILE) in the environment');
        const logger = cliLogger(config);
        const services = createServices(config, logger);
        await assertReachable(services).catch(async (error: unknown) => {
          await services.close();
          throw error;
        });
        const pending = await pendingMigrations(services, APPS);
        if (pending.length > 0) {
          await services.close();
          throw new UsageError(`the databases are not migrated (${pending.length} pending, e.g. ${pending[0]}): run \`marg migrate\` first`);
        }
        const web = await startWeb(services, APPS);
        logger.info({ host: config.host, port: web.port, domain: config.domain }, 'web role ready');
        onShutdownSignal(async (signal) => {
          logger.info({ signal }, 'draining');
          await web.stop();
          await services.close();
          logger.flush();
        });
      }),
    );
}
