import type { Command } from 'commander';
import { APPS } from '../../../apps/index.ts';
import { loadConfig } from '../../config/config.ts';
import { assertReachable } from '../../platform/connectivity.ts';
import { recordScheduleRun } from '../../observability/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../../observability/metrics-server.ts';
import { pendingMigrations } from '../../platform/migrate.ts';
import { allScheduledTasks } from '../../platform/schedule.ts';
import { createServices, type Services } from '../../platform/services.ts';
import type { ScheduledTask } from '../../scheduler/contract.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { formatTable } from '../../support/table.ts';
import { UsageError, cliLogger, run, withServices } from '../context.ts';
import { onShutdownSignal } from '../signals.ts';

/** The scheduler role (DESIGN §1), its task list, and running one task by hand. */
export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description('run the scheduler role: fire the cron tasks until SIGTERM; any number may run, each tick runs once in the cluster')
    .action(() =>
      run(async () => {
        const config = loadConfig();
        const logger = cliLogger(config);
        const services = createServices(config, logger);
        let scheduler: Scheduler;
        let metrics: MetricsServer | undefined;
        try {
          await assertReachable(services);
          await requireMigrated(services);
          // marg_schedule_* series on METRICS_PORT, like the other roles.
          scheduler = new Scheduler(services, allScheduledTasks(APPS), { onTick: (e) => recordScheduleRun(e.task, e.outcome, e.ms) });
          metrics = await startMetricsServer(services, 'scheduler');
        } catch (error) {
          await services.close();
          throw error;
        }
        process.stdout.write(`Scheduler ${scheduler.node} running ${scheduler.tasks.length} tasks (times UTC unless a task says otherwise):\n`);
        process.stdout.write(taskTable(scheduler, scheduler.tasks, undefined));
        scheduler.start();
        logger.info({ node: scheduler.node, tasks: scheduler.tasks.length }, 'scheduler role ready');
        onShutdownSignal(async (signal) => {
          logger.info({ signal }, 'scheduler stopping');
          await scheduler.stop();
          await metrics?.close();
          await services.close();
          logger.flush();
        });
      }),
    );

  program
    .command('schedule:list')
    .description('list the scheduled tasks: cron, next run, last run and its status')
    .action(() =>
      run(() =>
        withServices(async (services) => {
          await requireMigrated(services);
          const scheduler = new Scheduler(services, allScheduledTasks(APPS));
          const last = await scheduler.runs.latest(scheduler.tasks.map((t) => t.name));
          process.stdout.write(taskTable(scheduler, scheduler.tasks, last));
        }),
      ),
    );

  program
    .command('schedule:run')
    .description('run one scheduled task now, once, whatever its cron (a run still going elsewhere makes it skip)')
    .argument('<task>', 'task name, as `marg schedule:list` shows it')
    .action((name: string) =>
      run(async () => {
        // Checked before anything is opened: a typo costs no connection.
        const tasks = allScheduledTasks(APPS);
        if (!tasks.some((t) => t.name === name)) throw new UsageError(`unknown task "${name}"; the tasks are: ${tasks.map((t) => t.name).join(', ')}`);
        await withServices(async (services) => {
          await requireMigrated(services);
          const event = await new Scheduler(services, tasks).runNow(name);
          if (event.outcome === 'ok') {
            process.stdout.write(`${name}: done in ${event.ms} ms\n`);
          } else if (event.outcome === 'skipped-overlap') {
            process.stderr.write(`marg: ${name}: not run: a previous run is still going (it holds schedule:${name}:running)\n`);
            process.exitCode = 1;
          } else {
            process.stderr.write(`marg: ${name}: failed: ${event.error ?? 'unknown error'}\n`);
            process.exitCode = 1;
          }
        });
      }),
    );
}

async function requireMigrated(services: Services): Promise<void> {
  const pending = await pendingMigrations(services, APPS);
  if (pending.length > 0) throw new UsageError(`the databases are not migrated (${pending.length} pending, e.g. ${pending[0]}): run \`marg migrate\` first`);
}

/** One line per task; with `last`, the last run's tick and status too. */
function taskTable(scheduler: Scheduler, tasks: readonly ScheduledTask[], last: ReadonlyMap<string, { tick: string; status: string }> | undefined): string {
  const rows = tasks.map((t) => {
    const next = scheduler.nextRun(t.name)?.toISOString() ?? '-';
    const run = last?.get(t.name);
    return [t.name, t.cron + (t.timezone ? ` (${t.timezone})` : ''), next, ...(last ? [run ? `${run.tick} ${run.status}` : 'never'] : []), t.description];
  });
  const header = ['TASK', 'CRON', 'NEXT RUN', ...(last ? ['LAST RUN'] : []), 'DESCRIPTION'];
  return formatTable(header, rows);
}
