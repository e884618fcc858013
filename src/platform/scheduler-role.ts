import { recordScheduleRun } from '../observability/metrics.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import type { Role } from './boot.ts';
import { allScheduledTasks } from './schedule.ts';

/** The scheduler role for bootRoles: fires the platform's and every app's cron tasks until stopped. */
export function schedulerRole(onStart?: (scheduler: Scheduler) => void): Role {
  return {
    name: 'scheduler',
    async start(services, apps) {
      // marg_schedule_* series on METRICS_PORT, like the other roles.
      const scheduler = new Scheduler(services, allScheduledTasks(apps), { onTick: (e) => recordScheduleRun(e.task, e.outcome, e.ms) });
      onStart?.(scheduler);
      scheduler.start();
      services.logger.info({ node: scheduler.node, tasks: scheduler.tasks.length }, 'scheduler role ready');
      return { stop: () => scheduler.stop() };
    },
  };
}
