import type { WorkerOptions } from '../queue/worker.ts';

/** A worker's settings unless `marg work` flags say otherwise (a module of its own: `marg work --help` shows them without loading the queue). */
export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  queues: ['default'],
  concurrency: 1,
  tries: 3,
  timeoutMs: 60_000,
  idleMs: 1_000,
  graceMs: 30_000,
};
