import { mailJobs } from '../mail/job.ts';
import { recordJob } from '../observability/metrics.ts';
import { QueueWorker, type StopReason, type WorkerOptions } from '../queue/worker.ts';
import type { AppModule } from './app-module.ts';
import { jobHandlers } from './job-registry.ts';
import { platformJobs } from './jobs.ts';
import type { Services } from './services.ts';

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  queues: ['default'],
  concurrency: 1,
  tries: 3,
  timeoutMs: 60_000,
  idleMs: 1_000,
  graceMs: 30_000,
};

export interface RunningWorker {
  readonly worker: QueueWorker;
  /** Resolves when the worker stops, with why. */
  readonly done: Promise<StopReason>;
  stop(): Promise<void>;
}

/** The worker role (DESIGN §1): runs every app's and the platform's jobs from the configured queue. */
export function startWorker(services: Services, apps: readonly AppModule[], options: Partial<WorkerOptions> = {}): RunningWorker {
  const settings = { ...DEFAULT_WORKER_OPTIONS, ...options };
  const handlers = jobHandlers(apps, services, [(s) => mailJobs(s.mail), platformJobs]);
  const worker = new QueueWorker(services.jobSource, services.queue, handlers, settings, services.logger);
  // marg_queue_jobs_total and marg_queue_job_duration_seconds (served by the role's metrics endpoint).
  worker.onJob = recordJob;
  const done = worker.run();
  return { worker, done, stop: () => worker.stop() };
}
