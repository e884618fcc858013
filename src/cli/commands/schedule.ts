import type { Command } from 'commander';
import type { AppModule } from '../../platform/app-module.ts';
import type { Services } from '../../platform/services.ts';
import type { ScheduledTask } from '../../scheduler/contract.ts';
import type { Scheduler } from '../../scheduler/scheduler.ts';
import { formatTable } from '../../support/table.ts';
import { UsageError, run, type CliContext } from '../context.ts';

/** The scheduler role (DESIGN §1), its task list, and running one task by hand. */
export function registerSchedule(program: Command, cli: CliContext): void {
  program
    .command('schedule')
    .description('run the scheduler role: fire the cron tasks until SIGTERM; any number may run, each tick runs once in the cluster')
    .action(() =>
      run(async () => {
        const config = cli.loadConfig();
        const logger = cli.logger(config);
        const [{ runRoles }, { schedulerRole }] = await Promise.all([import('../../platform/boot.ts'), import('../../platform/scheduler-role.ts')]);
        const role = schedulerRole((scheduler) => {
          process.stdout.write(`Scheduler ${scheduler.node} running ${scheduler.tasks.length} tasks (times UTC unless a task says otherwise):\n`);
          process.stdout.write(taskTable(scheduler, scheduler.tasks, undefined));
        });
        await runRoles({
          apps: cli.apps,
          config,
          logger,
          roles: [role],
          metricsRole: 'scheduler',
          migrations: 'require',
          onSignal: (signal) => logger.info({ signal }, 'scheduler stopping'),
        });
      }),
    );

  program
    .command('schedule:list')
    .description('list the scheduled tasks: cron, next run, last run and its status')
    .action(() =>
      run(() =>
        cli.withServices(async (services) => {
          await requireMigrated(services, cli.apps);
          const [{ Scheduler }, { allScheduledTasks }] = await Promise.all([import('../../scheduler/scheduler.ts'), import('../../platform/schedule.ts')]);
          const scheduler = new Scheduler(services, allScheduledTasks(cli.apps));
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
        const [{ Scheduler }, { allScheduledTasks }] = await Promise.all([import('../../scheduler/scheduler.ts'), import('../../platform/schedule.ts')]);
        const tasks = allScheduledTasks(cli.apps);
        if (!tasks.some((t) => t.name === name)) throw new UsageError(`unknown task "${name}"; the tasks are: ${tasks.map((t) => t.name).join(', ')}`);
        await cli.withServices(async (services) => {
          await requireMigrated(services, cli.apps);
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

async function requireMigrated(services: Services, apps: readonly AppModule[]): Promise<void> {
  const { pendingMigrations } = await import('../../platform/migrate.ts');
  const pending = await pendingMigrations(services, apps);
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
