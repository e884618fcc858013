import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { AppModule, JobFactory } from '../../src/platform/app-module.ts';
import { allScheduledTasks } from '../../src/platform/schedule.ts';

/** "Run now" on the schedule page: the task runs on a worker, recorded in schedule_runs like `marg schedule:run`. */
export const RUN_TASK_JOB = 'ops.run-task';

const RunTask = Type.Object({ task: Type.String({ maxLength: 100 }) });

export function opsJobs(apps: () => readonly AppModule[]): JobFactory {
  return (services) => ({
    async [RUN_TASK_JOB](payload) {
      if (!Value.Check(RunTask, payload)) throw new Error('ops.run-task: the payload must be {task}');
      // Imported by the job (on a worker): a web node that only registers it never loads croner (issue 19).
      const { Scheduler } = await import('../../src/scheduler/scheduler.ts');
      const event = await new Scheduler(services, allScheduledTasks(apps())).runNow(payload.task);
      if (event.outcome === 'failed') throw new Error(`${payload.task} failed: ${event.error ?? 'unknown error'}`);
    },
  });
}
