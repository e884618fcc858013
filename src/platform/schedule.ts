import { backupTask } from '../backup/schedule.ts';
import type { ScheduledTask } from '../scheduler/contract.ts';
import { ScheduleRuns } from '../scheduler/runs.ts';
import type { ScheduleDatabase } from '../scheduler/schema.ts';
import type { AppModule } from './app-module.ts';
import { hasSearchIndexes, searchSyncTask } from './search-indexes.ts';

const DAY_MS = 86_400_000;
/** How long `schedule_runs` rows are kept: enough to look back on a month of runs. */
export const SCHEDULE_RUNS_RETENTION_DAYS = 30;

/** The platform's own cron tasks (times are UTC). */
export const platformSchedule: readonly ScheduledTask[] = [
  {
    name: 'sessions:prune',
    description: 'delete expired sessions (stores without an expiry of their own: SQLite)',
    cron: '0 * * * *',
    async run(services) {
      const pruned = await services.sessions.prune();
      services.logger.info({ pruned }, 'expired sessions pruned');
    },
  },
  {
    name: 'queue:prune-failed',
    description: 'delete failed jobs older than QUEUE_FAILED_RETENTION_DAYS',
    cron: '0 3 * * *',
    async run(services) {
      const olderThan = new Date(Date.now() - services.config.queue.failedRetentionDays * DAY_MS);
      const pruned = await services.failedJobs.pruneFailed(olderThan);
      services.logger.info({ pruned, olderThan: olderThan.toISOString() }, 'old failed jobs pruned');
    },
  },
  {
    name: 'rbac:warm-cache',
    description: "queue a refresh of every user's cached permissions (job rbac.warm-cache)",
    cron: '*/10 * * * *',
    async run(services) {
      // The unique key drops this dispatch while the previous one is still waiting or running.
      await services.queue.dispatch('rbac.warm-cache', {}, { uniqueKey: 'rbac.warm-cache' });
    },
  },
  {
    name: 'schedule:prune-runs',
    description: `delete schedule_runs rows older than ${SCHEDULE_RUNS_RETENTION_DAYS} days`,
    cron: '30 3 * * *',
    async run(services) {
      const runs = new ScheduleRuns(services.databases.get<ScheduleDatabase>('platform'));
      const pruned = await runs.prune(new Date(Date.now() - SCHEDULE_RUNS_RETENTION_DAYS * DAY_MS));
      services.logger.info({ pruned }, 'old schedule runs pruned');
    },
  },
  backupTask,
];

/** What `marg schedule` runs: the platform's tasks, then each app's. */
export function allScheduledTasks(apps: readonly AppModule[]): ScheduledTask[] {
  return [...platformSchedule, ...(hasSearchIndexes(apps) ? [searchSyncTask(apps)] : []), ...apps.flatMap((app) => app.schedule ?? [])];
}
