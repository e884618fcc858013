import type { Command } from 'commander';
import { runRoles } from '../../platform/boot.ts';
import { webRole } from '../../platform/web-role.ts';
import { UsageError, cliLogger, run, type CliContext } from '../context.ts';

/** The web role alone (DESIGN §1): stateless, run N of them behind a load balancer. */
export function registerServe(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('run the web role: HTTP for every app on HOST:PORT (migrate first with `marg migrate`)')
    .action(() =>
      run(async () => {
        const config = cli.loadConfig();
        if (!config.appKey) throw new UsageError('APP_KEY is not set: run `marg key:generate`, or set APP_KEY (or APP_KEY_FILE) in the environment');
        const logger = cliLogger(config);
        await runRoles({
          apps: cli.apps,
          config,
          logger,
          roles: [webRole()],
          metricsRole: 'web',
          migrations: 'require',
          onSignal: (signal) => logger.info({ signal }, 'draining'),
        });
      }),
    );
}
