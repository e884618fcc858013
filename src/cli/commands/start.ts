import type { Command } from 'commander';
import { writeAppKey } from '../../config/app-key.ts';
import type { SeedResult } from '../../platform/seed.ts';
import { generateRealtimeApp, isUnwritable, writeRealtimeApp } from '../../config/realtime-app.ts';
import { run, type CliContext } from '../context.ts';
import { writeFirstRunCredentials } from '../../support/first-run-credentials.ts';

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
        if (!config.realtime.app) {
          const app = generateRealtimeApp();
          try {
            writeRealtimeApp(config.cwd, app);
            process.stdout.write('Generated REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET and wrote them to .env.\n');
          } catch (error) {
            if (!isUnwritable(error)) throw error;
            // A read-only root (a container): this process serves its own WebSocket, so a key of its own works;
            // only other backends calling the Pusher HTTP API need the app set in the environment.
            Object.assign(process.env, app);
            process.stdout.write(`Could not write ${config.cwd}/.env (${(error as NodeJS.ErrnoException).code}): generated REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET for this process only; set them to keep them across restarts.\n`);
          }
          config = cli.loadConfig();
        }
        const [{ runRoles }, { schedulerRole }, { seedIfEmpty }, { webRole }, { embeddedRealtime }, { workerRole }] = await Promise.all([
          import('../../platform/boot.ts'),
          import('../../platform/scheduler-role.ts'),
          import('../../platform/seed.ts'),
          import('../../platform/web-role.ts'),
          import('../../platform/realtime-role.ts'),
          import('../../platform/worker-role.ts'),
        ]);
        const realtime = embeddedRealtime();
        let seeded: SeedResult | undefined;
        let port = config.port;
        await runRoles({
          apps: cli.apps,
          config,
          logger: cli.logger(config),
          // Phase 1: the worker and the scheduler run in this process too, on the embedded queue.
          // Realtime first: roles stop in order, and its sockets must close before the web server waits for its connections.
          roles: [
            realtime.role,
            webRole((bound, server) => {
              port = bound;
              realtime.attach(server);
            }),
            schedulerRole(),
            workerRole(),
          ],
          metricsRole: 'all',
          migrations: 'apply',
          async prepare(services) {
            seeded = await seedIfEmpty(services, cli.apps);
          },
          async onReady() {
            const shown = port === 80 ? '' : `:${port}`;
            const urls = cli.apps.map((a) => `  ${a.title.padEnd(9)} http://${a.name}.${config.domain}${shown}/`);
            const lines = ['', 'Marg is running:', ...urls];
            if (seeded) {
              // Also in a file only the owner can read, until that user first signs in: the terminal scrolls.
              const file = await writeFirstRunCredentials(config.storagePath, seeded.admin, urls);
              lines.push(
                '',
                'Demo data created. Sign in as the administrator:',
                `  email:    ${seeded.admin.email}`,
                `  password: ${seeded.admin.password}`,
                `  (kept in ${file}, readable only by you, until that first sign-in)`,
                `  Forgot it? npx marg user:password --email ${seeded.admin.email} --password <new>`,
              );
            }
            lines.push(`  Realtime  ws://${config.realtime.host}${shown}/app/${config.realtime.app!.key} (Pusher protocol 7)`);
            lines.push('', 'Press Ctrl-C to stop.', '');
            process.stdout.write(lines.join('\n'));
          },
        });
      }),
    );
}
