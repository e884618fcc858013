/**
 * The queue port (DESIGN §2): jobs dispatched by name with a JSON payload, consumed by
 * workers on any node. One semantics on every driver, proven by one contract suite:
 *
 * - **At least once.** A job is reserved for `retryAfterMs`; a living worker keeps renewing
 *   its reservation, so a running job is never handed out twice. When the worker dies, the
 *   reservation expires and the job is delivered again (that delivery counts as an attempt).
 *   Handlers must therefore tolerate running twice.
 * - **Tries.** `attempt` counts deliveries, from 1. A failure before the last try is retried
 *   after the backoff; the last failure (or a delivery past the last try) fails the job.
 * - **Failed jobs are kept** with their error until retried, forgotten, flushed or pruned.
 * - **Unique key.** While a job with the key is waiting, delayed or running, another
 *   dispatch with that key is dropped and reports the existing job.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Backoff {
  readonly type: 'fixed' | 'exponential';
  /** fixed: every retry waits this long; exponential: delayMs × 2^(retry − 1). */
  readonly delayMs: number;
}

export interface DispatchOptions {
  /** Default "default". Letters, digits, `-` and `_`. */
  readonly queue?: string;
  readonly delayMs?: number;
  /** Total deliveries allowed; default: the worker's `--tries`. */
  readonly tries?: number;
  readonly backoff?: Backoff;
  /** Default: the worker's `--timeout`. */
  readonly timeoutMs?: number;
  readonly uniqueKey?: string;
}

/** A dispatch after defaults are applied: what drivers store. */
export interface NewJob {
  readonly name: string;
  readonly payload: JsonValue;
  readonly queue: string;
  readonly delayMs: number;
  readonly tries: number | null;
  readonly backoff: Backoff | null;
  readonly timeoutMs: number | null;
  readonly uniqueKey: string | null;
}

export interface DispatchResult {
  readonly id: string;
  /** True when a job with the same unique key was already pending: nothing new was queued. */
  readonly duplicate: boolean;
}

/** A job handed to a worker. */
export interface ReservedJob extends Omit<NewJob, 'delayMs'> {
  readonly id: string;
  /** This delivery's number, from 1. */
  readonly attempt: number;
  /**
   * When this delivery became due (epoch ms): its dispatch, the end of its delay or backoff, or
   * when it was handed back, retried by an operator or its reservation expired. The job's wait
   * (shown per queue by the ops app) is the delivery's start minus this, so a delay is never
   * counted as waiting.
   */
  readonly readyAt: number;
}

/** What the worker runtime decided about one delivery. */
export type JobOutcome =
  | { readonly status: 'completed' }
  | { readonly status: 'retry'; readonly delayMs: number; readonly error: string }
  | { readonly status: 'failed'; readonly error: string };

/** Runs one delivery to an outcome; never rejects. */
export type JobProcessor = (job: ReservedJob) => Promise<JobOutcome>;

export interface ConsumeOptions {
  /** In priority order: a job on an earlier queue is taken first. */
  readonly queues: readonly string[];
  readonly concurrency: number;
  /** How long to wait before looking again when every queue is empty. */
  readonly idleMs: number;
  /** A store error the consumer survived (it retries); for logging. */
  readonly onError?: (error: unknown) => void;
}

/** A running consumer (consumer.ts: one loop for every job source). */
export interface Consumer {
  /** Deliveries in progress. */
  readonly running: number;
  /** Stops taking jobs; resolves when the running ones have reported their outcomes. */
  stop(): Promise<void>;
  /**
   * Stops at once: jobs still running are handed back (delivered again at once, without
   * counting an attempt when the driver can) instead of waiting for their reservation to expire.
   */
  abandon(): Promise<void>;
}

export interface QueueCounts {
  readonly queue: string;
  readonly waiting: number;
  readonly running: number;
  readonly delayed: number;
  readonly failed: number;
  /** Jobs completed during the last full minute. */
  readonly perMinute: number;
}

export interface FailedJob {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: JsonValue;
  readonly attempts: number;
  readonly error: string;
  readonly failedAt: string;
}

// The port, split by who uses it (Laravel: Queue vs FailedJobProvider; BullMQ: Queue vs Worker).

/** Queueing work: what any code that dispatches needs. */
export interface JobProducer {
  dispatch(job: NewJob): Promise<DispatchResult>;
  /**
   * The same as dispatching each job, with results in the same order, in as few round trips
   * and commits as the store allows: jobs without a unique key are stored together (one
   * transaction on a database, one MULTI per queue on Redis), so either all of them are queued
   * or, when the call fails, none; jobs with a unique key are dispatched one by one after them.
   */
  dispatchMany(jobs: readonly NewJob[]): Promise<DispatchResult[]>;
}

/** What operators and probes ask about the queues (`queue:stats`, `/health`, the depth gauge). */
export interface QueueMonitor {
  /** Per queue that has ever held a job (or is named). */
  stats(queues?: readonly string[]): Promise<QueueCounts[]>;
  /** Waiting + delayed + running over every queue: what `/health` compares with the backlog threshold. */
  size(): Promise<number>;
  /** Resolves once the store answers, waiting up to `timeoutMs` for a connection still being opened. */
  ping(timeoutMs?: number): Promise<void>;
}

/** Failed-job administration (`queue:failed`, `queue:retry`, …; Laravel's FailedJobProvider). */
export interface FailedJobProvider {
  failed(limit: number): Promise<FailedJob[]>;
  /** Back to waiting with its attempts reset; false for an unknown id. */
  retry(id: string): Promise<boolean>;
  retryAll(): Promise<number>;
  /** Deletes one failed job; false for an unknown id. */
  forget(id: string): Promise<boolean>;
  /** Deletes every failed job (of one queue); returns how many. */
  flushFailed(queue?: string): Promise<number>;
  /** Deletes failed jobs older than the date; returns how many. */
  pruneFailed(olderThan: Date): Promise<number>;
}

/** What a job session reports back to its consumer. */
export interface SessionHooks {
  /** A store error the session survived (a stalled check, a lock renewal); for logging. */
  readonly onError: (error: unknown) => void;
  /** The source is closing while this session is open: the consumer hands its jobs back and stops. */
  readonly onSourceClose: () => Promise<void>;
}

/** Where workers take jobs from (BullMQ's Worker side): one session per consumer. */
export interface JobSource {
  /** Reservations on these queues for one consumer; the consumer closes it. */
  open(queues: readonly string[], hooks: SessionHooks): JobSession;
}

/**
 * One consumer's reservations. Every call touches only jobs this session reserved and still
 * holds: once a reservation has expired and another worker took the job, its calls do nothing.
 */
export interface JobSession {
  /** How long a reservation lasts unless extended. */
  readonly retryAfterMs: number;
  /**
   * True when completions are worth acknowledging together (one DELETE for many rows): the
   * consumer frees the slot at once and gathers acks while one is on its way. False: each is
   * acknowledged as it comes, and that call may take the queue's next job (see `complete`).
   */
  readonly groupsAcks: boolean;
  /** Up to `limit` due jobs of one queue, reserved for `retryAfterMs`; an empty list when there are none. */
  reserve(queue: string, limit: number): Promise<ReservedJob[]>;
  /** Renews the reservations of jobs still held; resolves with the ids whose reservation was lost (when the store can tell). */
  extend(jobs: readonly ReservedJob[]): Promise<readonly string[]>;
  /**
   * Removes completed jobs. With `takeNext`, a source that can (Redis) reserves the next job of
   * the first job's queue in the same round trip and returns it.
   */
  complete(jobs: readonly ReservedJob[], takeNext: boolean): Promise<ReservedJob | undefined>;
  /** Back to its queue after `delayMs`, for another try; the store may keep this try's error (BullMQ's failedReason). */
  release(job: ReservedJob, delayMs: number, error: string): Promise<void>;
  /** Into the failed jobs, with its error. */
  fail(job: ReservedJob, error: string): Promise<void>;
  /** Available again at once, without counting the delivery as an attempt. */
  handBack(jobs: readonly ReservedJob[]): Promise<void>;
  /**
   * Resolves when a job may be waiting on one of the session's queues (the database: a dispatch
   * in this process; Redis: BullMQ's marker), after `ms` at most, or at `interrupt()`. Rejects
   * on a store error.
   */
  waitForJobs(ms: number): Promise<void>;
  /**
   * A slot freed during waitForJobs. A polling source looks again now (the database: under load
   * that is sooner than the poll interval); a blocking one keeps waiting (Redis: a marker says when a job comes).
   */
  lookAgain(): void;
  /** Ends a waitForJobs at once: the consumer is stopping. */
  interrupt(): void;
  /** Releases what the session holds; `force` ends pending store commands instead of waiting for them. */
  close(force: boolean): Promise<void>;
}

/** One queue store, split by who uses it; built from config by manager.ts. */
export interface QueueBackend {
  /** `database` or `redis`. */
  readonly driver: string;
  readonly producer: JobProducer;
  readonly monitor: QueueMonitor;
  readonly source: JobSource;
  readonly failedJobs: FailedJobProvider;
  close(): Promise<void>;
}
