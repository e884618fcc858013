import type { Command } from 'commander';
import { UsageError, run, type CliContext } from '../context.ts';

/** The realtime role alone (DESIGN §1): run N of them behind the balancer with BROADCAST_CONNECTION=redis. */
export function registerRealtime(program: Command, cli: CliContext): void {
  program
    .command('realtime')
    .description('run the realtime role: the Pusher protocol (WebSocket /app/{key}) and HTTP API (/apps/{id}/…) on REVERB_SERVER_HOST:REVERB_PORT')
    .action(() =>
      run(async () => {
        const config = cli.loadConfig();
        if (!config.realtime.app) throw new UsageError('REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET are not set (`npm start` writes them to .env)');
        const logger = cli.logger(config);
        const [{ runRoles }, { realtimeRole }] = await Promise.all([import('../../platform/boot.ts'), import('../../platform/realtime-role.ts')]);
        await runRoles({
          apps: cli.apps,
          config,
          logger,
          roles: [realtimeRole()],
          metricsRole: 'realtime',
          migrations: 'require',
          onSignal: (signal) => logger.info({ signal }, 'closing sockets (4200: reconnect)'),
        });
      }),
    );
}
