import type { DispatchOptions, DispatchResult, JobProducer, JsonValue, NewJob, QueueBackend, QueueCounts, QueueMonitor } from './contract.ts';

const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const QUEUE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_PAYLOAD_BYTES = 512 * 1024;

/** A dispatch that can never run: a programming error, reported at the call site. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

/**
 * The queue as application code sees it (Laravel's `Queue` facade): dispatching, which checks
 * and normalises before the store sees a job, and the counts operators and probes read.
 * Workers take jobs from the job source, operators manage failed jobs through the
 * FailedJobProvider: neither goes through here.
 */
export class Queue implements QueueMonitor {
  readonly #producer: JobProducer;
  readonly #monitor: QueueMonitor;
  /** The store behind it (`database`, `redis`): for logs, `/health` and `queue:stats`. */
  readonly driverName: string;

  constructor(backend: Pick<QueueBackend, 'driver' | 'producer' | 'monitor'>) {
    this.#producer = backend.producer;
    this.#monitor = backend.monitor;
    this.driverName = backend.driver;
  }

  async dispatch(name: string, payload: JsonValue, options: DispatchOptions = {}): Promise<DispatchResult> {
    return this.#producer.dispatch(normalise(name, payload, options));
  }

  /** Many jobs at once (see JobProducer.dispatchMany); every one is checked before any is stored. */
  async dispatchMany(jobs: readonly { readonly name: string; readonly payload: JsonValue; readonly options?: DispatchOptions }[]): Promise<DispatchResult[]> {
    const normalised = jobs.map((job) => normalise(job.name, job.payload, job.options ?? {}));
    return normalised.length === 0 ? [] : this.#producer.dispatchMany(normalised);
  }

  stats(queues?: readonly string[]): Promise<QueueCounts[]> {
    return this.#monitor.stats(queues);
  }

  size(): Promise<number> {
    return this.#monitor.size();
  }

  ping(timeoutMs?: number): Promise<void> {
    return this.#monitor.ping(timeoutMs);
  }
}

export function normalise(name: string, payload: JsonValue, options: DispatchOptions): NewJob {
  if (!NAME.test(name)) throw new InvalidJobError(`job name ${JSON.stringify(name)}: use 1-100 letters, digits and _ . : -`);
  const queue = options.queue ?? 'default';
  if (!QUEUE.test(queue)) throw new InvalidJobError(`queue name ${JSON.stringify(queue)}: use 1-64 letters, digits, _ and -`);
  const size = Buffer.byteLength(JSON.stringify(payload) ?? '', 'utf8');
  if (size > MAX_PAYLOAD_BYTES) throw new InvalidJobError(`job ${name}: payload is ${size} bytes (at most ${MAX_PAYLOAD_BYTES}); store large data elsewhere and pass its id`);
  const count = (value: number | undefined, what: string, min: number): number | null => {
    if (value === undefined) return null;
    if (!Number.isInteger(value) || value < min) throw new InvalidJobError(`job ${name}: ${what} must be an integer ≥ ${min} (got ${value})`);
    return value;
  };
  const backoff = options.backoff ?? null;
  if (backoff) count(backoff.delayMs, 'backoff.delayMs', 0);
  if (options.uniqueKey !== undefined && (options.uniqueKey.length < 1 || options.uniqueKey.length > 191)) {
    throw new InvalidJobError(`job ${name}: uniqueKey must be 1-191 characters`);
  }
  return {
    name,
    payload,
    queue,
    delayMs: count(options.delayMs, 'delayMs', 0) ?? 0,
    tries: count(options.tries, 'tries', 1),
    backoff,
    timeoutMs: count(options.timeoutMs, 'timeoutMs', 1),
    uniqueKey: options.uniqueKey ?? null,
  };
}

/** The delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(backoff: NewJob['backoff'], retry: number): number {
  if (!backoff) return 0;
  return backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** Math.max(0, retry - 1);
}
