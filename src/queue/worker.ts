import type { Logger } from '../observability/logger.ts';
import { consume } from './consumer.ts';
import type { Consumer, JobOutcome, JobSource, QueueMonitor, ReservedJob } from './contract.ts';
import type { JobHandlers } from './jobs.ts';
import { backoffDelay } from './queue.ts';

/** `marg work` options (Laravel's `queue:work` flags). */
export interface WorkerOptions {
  readonly queues: readonly string[];
  readonly concurrency: number;
  /** Deliveries allowed for a job that names no `tries`. */
  readonly tries: number;
  /** For a job that names no `timeoutMs`. */
  readonly timeoutMs: number;
  /** Stop after running this long (then a supervisor starts a fresh process). */
  readonly maxTimeMs?: number;
  /** Stop after this many jobs. */
  readonly maxJobs?: number;
  /** Wait between polls when the queues are empty. */
  readonly idleMs: number;
  readonly stopWhenEmpty?: boolean;
  /** On stop(), how long running jobs may take to finish before they are handed back. */
  readonly graceMs: number;
}

/** Why a worker stopped: `stuck` means a job ignored its timeout, so the process should be replaced. */
export type StopReason = 'stopped' | 'max-jobs' | 'max-time' | 'empty' | 'stuck';

/** How long a timed-out handler gets to notice its aborted signal before the worker is called stuck. */
const ABORT_GRACE_MS = 1_000;
const MAX_ERROR_LENGTH = 4_000;

export interface JobEvent {
  readonly job: ReservedJob;
  readonly outcome: JobOutcome;
  readonly durationMs: number;
  /** From when the delivery became due (ReservedJob.readyAt) to its start; 0 when clocks disagree. */
  readonly waitMs: number;
}

/**
 * The one place job semantics live (tries, backoff, timeouts, unknown jobs): drivers only
 * store, reserve and acknowledge. A handler that throws is retried after its backoff while
 * tries remain, then failed; one that passes its timeout is aborted and counted as failed.
 */
export class QueueWorker {
  #consumer: Consumer | undefined;
  #processed = 0;
  #stopReason: StopReason | undefined;
  #finished: Promise<StopReason> | undefined;
  #resolveFinished: ((reason: StopReason) => void) | undefined;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #controllers = new Set<LazyAbort>();
  /** Called after every delivery (metrics, tests). */
  onJob: ((event: JobEvent) => void) | undefined;

  constructor(
    private readonly source: JobSource,
    /** For `stopWhenEmpty`. */
    private readonly monitor: Pick<QueueMonitor, 'stats'>,
    private readonly handlers: JobHandlers,
    private readonly options: WorkerOptions,
    private readonly logger: Logger,
  ) {}

  get processed(): number {
    return this.#processed;
  }

  /** Starts consuming; resolves with the reason once the worker has stopped. */
  run(): Promise<StopReason> {
    if (this.#finished) return this.#finished;
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.#consumer = consume(this.source, (job) => this.#process(job), {
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      idleMs: this.options.idleMs,
      onError: (error) => this.logger.error({ err: error }, 'queue store error; the worker keeps trying'),
    });
    if (this.options.maxTimeMs !== undefined) this.#timers.push(setTimeout(() => void this.stop('max-time'), this.options.maxTimeMs));
    if (this.options.stopWhenEmpty) this.#timers.push(setInterval(() => void this.#stopIfEmpty(), Math.max(50, this.options.idleMs)));
    return this.#finished;
  }

  /** Graceful: take no more jobs, let running ones finish within the grace period, hand back the rest. */
  async stop(reason: StopReason = 'stopped'): Promise<void> {
    if (this.#stopReason !== undefined || !this.#consumer) return;
    this.#stopReason = reason;
    for (const timer of this.#timers) clearTimeout(timer);
    const consumer = this.#consumer;
    const finished = await Promise.race([consumer.stop().then(() => true), sleep(this.options.graceMs).then(() => false)]);
    if (!finished) {
      this.logger.warn({ running: consumer.running, graceMs: this.options.graceMs }, 'jobs still running after the grace period: handing them back to the queue');
      for (const controller of this.#controllers) controller.abort(new Error('the worker is shutting down'));
      await consumer.abandon();
    }
    this.#resolveFinished?.(reason);
  }

  async #stopIfEmpty(): Promise<void> {
    if (this.#stopReason !== undefined || (this.#consumer?.running ?? 0) > 0) return;
    const counts = await this.monitor.stats(this.options.queues).catch(() => undefined);
    if (counts && counts.every((c) => c.waiting === 0 && c.running === 0)) await this.stop('empty');
  }

  async #process(job: ReservedJob): Promise<JobOutcome> {
    // readyAt is wall-clock time, possibly another node's: a skewed clock must not make a wait negative.
    const waitMs = Math.max(0, Date.now() - job.readyAt);
    const started = performance.now();
    const outcome = await this.#outcome(job);
    this.#processed += 1;
    this.#log(job, outcome);
    this.onJob?.({ job, outcome, durationMs: performance.now() - started, waitMs });
    if (this.options.maxJobs !== undefined && this.#processed >= this.options.maxJobs) void this.stop('max-jobs');
    return outcome;
  }

  async #outcome(job: ReservedJob): Promise<JobOutcome> {
    const tries = job.tries ?? this.options.tries;
    const handler = this.handlers[job.name];
    if (!handler) return { status: 'failed', error: `no handler for job "${job.name}" on this worker (known: ${Object.keys(this.handlers).sort().join(', ')})` };
    // The previous delivery's worker died or timed out without reporting: that used up a try.
    if (job.attempt > tries) return { status: 'failed', error: `attempted ${job.attempt - 1} time(s) without finishing (tries: ${tries}); its worker stopped or timed out` };
    const timeoutMs = job.timeoutMs ?? this.options.timeoutMs;
    const controller = new LazyAbort();
    this.#controllers.add(controller);
    let timer: NodeJS.Timeout | undefined;
    const running = handler(job.payload, {
      job,
      get signal() {
        return controller.signal;
      },
    });
    try {
      await Promise.race([
        running,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new JobTimeoutError(job, timeoutMs)), timeoutMs);
        }),
      ]);
      return { status: 'completed' };
    } catch (error) {
      if (error instanceof JobTimeoutError) {
        controller.abort(error);
        this.#watchStray(job, running);
      }
      const message = describeError(error);
      if (job.attempt < tries) return { status: 'retry', delayMs: backoffDelay(job.backoff, job.attempt), error: message };
      return { status: 'failed', error: message };
    } finally {
      clearTimeout(timer);
      this.#controllers.delete(controller);
    }
  }

  /** A handler that ignores its aborted signal cannot be killed in-process: stop so the process can be replaced. */
  #watchStray(job: ReservedJob, running: Promise<void>): void {
    let settled = false;
    running.then(
      () => (settled = true),
      () => (settled = true),
    );
    setTimeout(() => {
      if (settled) return;
      this.logger.error({ job: job.id, name: job.name }, 'a job kept running after its timeout: stopping this worker so it can be replaced');
      void this.stop('stuck');
    }, ABORT_GRACE_MS).unref();
  }

  #log(job: ReservedJob, outcome: JobOutcome): void {
    // Thousands of completions a second: no fields object for a line that the level drops.
    if (outcome.status === 'completed' && !this.logger.isLevelEnabled('debug')) return;
    const fields = { job: job.id, name: job.name, queue: job.queue, attempt: job.attempt };
    if (outcome.status === 'completed') this.logger.debug(fields, 'job completed');
    else if (outcome.status === 'retry') this.logger.warn({ ...fields, retryInMs: outcome.delayMs, error: firstLine(outcome.error) }, 'job failed; will retry');
    else this.logger.error({ ...fields, error: firstLine(outcome.error) }, 'job failed for good');
  }
}

/**
 * An AbortController made only when the handler reads its signal: most jobs never do, and one
 * controller per delivery cost about 4 µs a job in the queue profile (bench/RESULTS.md).
 */
class LazyAbort {
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
  constructor(job: ReservedJob, timeoutMs: number) {
    super(`job ${job.name} (${job.id}) timed out after ${timeoutMs} ms`);
  }
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
