import type { Command } from 'commander';
import { writeAppKey } from '../../config/app-key.ts';
import { runRoles } from '../../platform/boot.ts';
import { schedulerRole } from '../../platform/scheduler-role.ts';
import { seedIfEmpty, type SeedResult } from '../../platform/seed.ts';
import { webRole } from '../../platform/web-role.ts';
import { workerRole } from '../../platform/worker-role.ts';
import { cliLogger, run, type CliContext } from '../context.ts';

/** Phase 1 of the guides: every role in one process, embedded storage, demo data on first run. */
export function registerStart(program: Command, cli: CliContext): void {
  program
    .command('start')
    .description('run everything in one process on embedded storage (what `npm start` runs): migrate, seed demo data once, serve the apps, run queued jobs and the schedule')
    .action(() =>
      run(async () => {
        let config = cli.loadConfig();
        if (!config.appKey) {
          writeAppKey(config.cwd);
          process.stdout.write('Generated APP_KEY and wrote it to .env (keep that file out of version control).\n');
          config = cli.loadConfig();
        }
        let seeded: SeedResult | undefined;
        let port = config.port;
        await runRoles({
          apps: cli.apps,
          config,
          logger: cliLogger(config),
          // Phase 1: the worker and the scheduler run in this process too, on the embedded queue.
          roles: [webRole((bound) => (port = bound)), schedulerRole(), workerRole()],
          metricsRole: 'all',
          migrations: 'apply',
          async prepare(services) {
            seeded = await seedIfEmpty(services, cli.apps);
          },
          onReady() {
            const shown = port === 80 ? '' : `:${port}`;
            const lines = ['', 'Marg is running:', ...cli.apps.map((a) => `  ${a.title.padEnd(9)} http://${a.name}.${config.domain}${shown}/`)];
            if (seeded) {
              lines.push(
                '',
                'Demo data created. Sign in as the administrator (shown only this once):',
                `  email:    ${seeded.admin.email}`,
                `  password: ${seeded.admin.password}`,
                `  Forgot it? npx marg user:password --email ${seeded.admin.email} --password <new>`,
              );
            }
            lines.push('', 'Press Ctrl-C to stop.', '');
            process.stdout.write(lines.join('\n'));
          },
        });
      }),
    );
}
