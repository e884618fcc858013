import { chaosJobs } from '../chaos/job.ts';
import { mailJobs } from '../mail/job.ts';
import { recordJob } from '../observability/metrics.ts';
import { telemetry } from '../telemetry/recorder.ts';
import { QueueWorker, type StopReason, type WorkerOptions } from '../queue/worker.ts';
import type { AppModule } from './app-module.ts';
import type { Role } from './boot.ts';
import { jobHandlers } from './job-registry.ts';
import { platformJobs } from './jobs.ts';
import { searchJobs } from './search-indexes.ts';
import type { Services } from './services.ts';
import { DEFAULT_WORKER_OPTIONS } from './worker-defaults.ts';

export { DEFAULT_WORKER_OPTIONS };

export interface RunningWorker {
  readonly worker: QueueWorker;
  /** Resolves when the worker stops, with why. */
  readonly done: Promise<StopReason>;
  stop(): Promise<void>;
}

/** The worker role (DESIGN §1): runs every app's and the platform's jobs from the configured queue. */
export function startWorker(services: Services, apps: readonly AppModule[], options: Partial<WorkerOptions> = {}): RunningWorker {
  const settings = { ...DEFAULT_WORKER_OPTIONS, ...options };
  const handlers = jobHandlers(apps, services, [(s) => mailJobs(s.mail), platformJobs, chaosJobs, searchJobs(apps)]);
  const worker = new QueueWorker(services.jobSource, services.queue, handlers, settings, services.logger);
  // marg_queue_jobs_total, marg_queue_job_duration_seconds and marg_queue_job_wait_seconds (served by the role's metrics endpoint).
  worker.onJob = (event) => {
    recordJob(event);
    // The ops app's per-minute view (in memory; the telemetry reporter writes it out).
    const { job, outcome, durationMs, waitMs } = event;
    telemetry.job(job.queue, job.name, outcome.status, durationMs, waitMs);
    if (outcome.status !== 'completed') telemetry.exception(errorType(outcome.error), job.name, outcome.error);
  };
  const done = worker.run();
  return { worker, done, stop: () => worker.stop() };
}

/** `TypeError: …` → `TypeError`: job errors reach the worker as text. */
function errorType(error: string): string {
  return /^([A-Za-z_$][\w$]*(?:Error|Exception)):/.exec(error)?.[1] ?? 'Error';
}

/**
 * The worker role for bootRoles. It may end by itself (`--max-jobs`, `--max-time`,
 * `--stop-when-empty`); a job that ignored its timeout ends it with exit code 1, so a
 * supervisor starts a clean process.
 */
export function workerRole(options: Partial<WorkerOptions> = {}): Role {
  return {
    name: 'worker',
    async start(services, apps) {
      const running = startWorker(services, apps, options);
      const settings = { ...DEFAULT_WORKER_OPTIONS, ...options };
      services.logger.info({ queues: settings.queues, concurrency: settings.concurrency, driver: services.queue.driverName }, 'worker ready');
      const finished = running.done.then((reason) => {
        services.logger.info({ reason, processed: running.worker.processed }, 'worker stopped');
        return reason === 'stuck' ? 1 : 0;
      });
      return {
        finished,
        async stop() {
          await running.stop();
          await finished;
        },
      };
    },
  };
}
