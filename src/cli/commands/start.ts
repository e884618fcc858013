import type { Command } from 'commander';
import { APPS } from '../../../apps/index.ts';
import { writeAppKey } from '../../config/app-key.ts';
import { loadConfig } from '../../config/config.ts';
import { assertReachable, createMissingDatabases } from '../../platform/connectivity.ts';
import { migrateAll } from '../../platform/migrate.ts';
import { recordScheduleRun } from '../../observability/metrics.ts';
import { seedIfEmpty } from '../../platform/seed.ts';
import { createServices } from '../../platform/services.ts';
import { startWeb } from '../../platform/web-role.ts';
import { startWorker } from '../../platform/worker-role.ts';
import { allScheduledTasks } from '../../platform/schedule.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { cliLogger, run } from '../context.ts';
import { onShutdownSignal } from '../signals.ts';

/** Phase 1 of the guides: every role in one process, embedded storage, demo data on first run. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run everything in one process on embedded storage (what `npm start` runs): migrate, seed demo data once, serve the apps, run queued jobs and the schedule')
    .action(() =>
      run(async () => {
        let config = loadConfig();
        if (!config.appKey) {
          writeAppKey(config.cwd);
          process.stdout.write('Generated APP_KEY and wrote it to .env (keep that file out of version control).\n');
          config = loadConfig();
        }
        const logger = cliLogger(config);
        await createMissingDatabases(config);
        const services = createServices(config, logger);
        await assertReachable(services);
        await migrateAll(services, APPS);
        const seeded = await seedIfEmpty(services, APPS);
        const web = await startWeb(services, APPS, { metricsRole: 'all' });
        // Phase 1: the worker runs in this process too, polling the embedded queue.
        const worker = startWorker(services, APPS);
        const scheduler = new Scheduler(services, allScheduledTasks(APPS), { onTick: (e) => recordScheduleRun(e.task, e.outcome, e.ms) });
        scheduler.start();
        const port = web.port === 80 ? '' : `:${web.port}`;
        const lines = ['', 'Marg is running:', ...APPS.map((a) => `  ${a.title.padEnd(9)} http://${a.name}.${config.domain}${port}/`)];
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
        onShutdownSignal(async () => {
          await web.stop();
          await scheduler.stop();
          await worker.stop();
          await services.close();
          logger.flush();
        });
      }),
    );
}
