import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type JobJsonRaw, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTimeout } from '../support/timeout.ts';
import type { ConsumeOptions, Consumer, JobOutcome, JobProcessor } from './contract.ts';
import { CompletionCounter } from './redis-completions.ts';
import { margId, NEVER, RetryLater, toReserved, type BullJob, type StoredJob } from './redis-jobs.ts';

/**
 * Hands a job back without counting the delivery, but only while this consumer still holds
 * its lock (BullMQ's `<job>:lock` key and `ats` = attemptsStarted field). BullMQ has no call
 * that undoes an attempt, so this one line of its data model is Marg's own.
 */
const UNCOUNT_DELIVERY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('HINCRBY', KEYS[2], 'ats', -1) end
return -1`;

/** How long abandon() waits for Redis (its loop, the hand-backs) before it closes the connections regardless. */
const ABANDON_WAIT_MS = 2_000;

/** How often the stalled-job check runs: often enough that a dead worker's job comes back soon after its lock expires. */
export function stalledIntervalMs(retryAfterMs: number): number {
  return Math.min(30_000, Math.max(100, Math.floor(retryAfterMs / 2)));
}

/**
 * A BullMQ worker without a processor ("manual" mode): Marg's consumer takes its jobs
 * with getNextJob in queue priority order and finishes them itself. The subclass only
 * turns the next job that a finish returned (fetchNext) into a Job, as BullMQ's own loop does.
 */
class ManualWorker extends Worker<StoredJob, unknown, string> {
  nextFrom(result: unknown, token: string): Promise<BullJob | undefined> {
    if (!Array.isArray(result) || !result[0]) return Promise.resolve(undefined);
    return this.nextJobFromJobData(result[0] as JobJsonRaw, result[1] as string, token);
  }
}

interface Delivery {
  readonly job: BullJob;
  readonly token: string;
  readonly worker: ManualWorker;
}

export interface RedisConsumerSettings {
  /** BullMQ's key prefix. */
  readonly prefix: string;
  readonly retryAfterMs: number;
  /** Commands (maxRetriesPerRequest: null, as BullMQ workers require); the consumer closes it. */
  readonly client: Redis;
  /** Waits for markers (BZPOPMIN) while every queue is empty; the consumer closes it. */
  readonly blocker: Redis;
  /** The queue-names set's key: completion counts sit beside it (redis-completions.ts). */
  readonly namesKey: string;
  readonly onClosed: () => void;
}

/**
 * Runs jobs from BullMQ queues in Marg's priority order. BullMQ's own Worker runs one queue,
 * and two Workers would take jobs from both queues at once, so jobs are taken by hand: with
 * a free slot, ask each queue in order for its next job (one Lua call that also locks it for
 * `retryAfterMs`); when every queue is empty, block on their marker keys (BullMQ's wake-up
 * signal: a new job, or a delayed job's due time) for at most `idleMs`. A job of the first
 * queue that completes fetches the next job of that queue in the same call, as BullMQ's
 * Worker does; for later queues the loop first looks at the earlier ones again.
 *
 * Locks are renewed every retryAfterMs/3. A worker that dies stops renewing: its jobs are
 * moved back to waiting by the stalled check of any living consumer of the queue (every
 * `stalledIntervalMs`: a first check marks them, a check after their lock expired moves them),
 * so they are delivered again within retryAfterMs + stalledInterval of the death: ≤ 1.5 ×
 * retryAfterMs up to 60 s, else ≤ retryAfterMs + 30 s (120 s at the default 90 s). That
 * delivery counts as an attempt.
 */
export class RedisConsumer implements Consumer {
  readonly #id = randomUUID();
  #tokens = 0;
  readonly #workers: ManualWorker[];
  readonly #running = new Map<string, Delivery>();
  /** Deliveries not yet finished (running, or their acknowledgement on its way): stop() waits for none to be left. */
  #inFlight = 0;
  #allFinished: (() => void) | undefined;
  /** Acknowledgements and hand-backs on their way to Redis: abandon() waits for these, not for handlers. */
  readonly #finishing = new Set<Promise<void>>();
  #stopping = false;
  #abandoned = false;
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;
  readonly #renewal: NodeJS.Timeout;
  #closed: Promise<void> | undefined;
  readonly #completions: CompletionCounter;

  constructor(
    private readonly settings: RedisConsumerSettings,
    private readonly processor: JobProcessor,
    private readonly options: ConsumeOptions,
  ) {
    if (options.queues.length === 0) throw new Error('consume: name at least one queue');
    this.#completions = new CompletionCounter(settings.client, settings.namesKey);
    const workerOptions: WorkerOptions = {
      connection: settings.client,
      prefix: settings.prefix,
      autorun: false,
      lockDuration: settings.retryAfterMs,
      stalledInterval: stalledIntervalMs(settings.retryAfterMs),
      // A stalled job always comes back; Marg's runtime fails it once its deliveries pass its tries.
      maxStalledCount: NEVER,
      // Retries are Marg's decision: the delay rides on the error (RetryLater); UnrecoverableError fails for good.
      settings: { backoffStrategy: (_made, _type, error) => (error instanceof RetryLater ? error.delayMs : 0) },
    };
    this.#workers = options.queues.map((queue) => {
      const worker = new ManualWorker(queue, null, workerOptions);
      worker.on('error', (error) => this.#report(error));
      void worker.startStalledCheckTimer().catch((error: unknown) => this.#report(error));
      return worker;
    });
    this.#renewal = setInterval(() => this.#renew(), Math.max(50, Math.floor(settings.retryAfterMs / 3)));
    this.#renewal.unref();
    this.#loop = this.#run();
  }

  get running(): number {
    return this.#running.size;
  }

  async stop(): Promise<void> {
    this.#halt();
    await this.#loop;
    while (this.#inFlight > 0 && !this.#abandoned) await new Promise<void>((resolve) => (this.#allFinished = resolve));
    if (!this.#abandoned) await this.#close(false);
  }

  async abandon(): Promise<void> {
    this.#abandoned = true;
    this.#halt();
    // Bounded: with Redis unreachable, commands wait for a reconnect. Closing the connections ends them all,
    // and a job that could not be handed back comes back after the stalled check, as if this worker had died.
    await Promise.race([this.#loop, sleep(ABANDON_WAIT_MS)]);
    const deliveries = [...this.#running.values()];
    this.#running.clear();
    // Their outcomes, if they ever arrive, are dropped: #settle finds them no longer running.
    const handedBack = Promise.allSettled(deliveries.map((d) => this.#handBack(d)));
    await Promise.race([handedBack.then(() => this.#drainFinishing()), sleep(ABANDON_WAIT_MS)]);
    await this.#close(true);
    await Promise.race([this.#loop, sleep(ABANDON_WAIT_MS)]);
  }

  async #drainFinishing(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.allSettled(this.#finishing);
  }

  #halt(): void {
    this.#stopping = true;
    this.#wake?.();
    // Ends a BZPOPMIN in progress at once.
    this.settings.blocker.disconnect();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#fill();
      } catch (error) {
        this.#report(error);
        await this.#sleep(this.options.idleMs);
        continue;
      }
      if (this.#stopping) break;
      if (this.#running.size >= this.options.concurrency) await this.#slotFreed();
      else await this.#waitForJobs();
    }
  }

  /** Takes jobs for the free slots, earlier queues first, until the slots are full or every queue is empty. */
  async #fill(): Promise<void> {
    for (const worker of this.#workers) {
      while (this.#running.size < this.options.concurrency && !this.#stopping) {
        const token = `${this.#id}:${this.#tokens++}`;
        const job = await worker.getNextJob(token, { block: false });
        if (!job) break;
        this.#start(worker, job, token);
      }
      if (this.#running.size >= this.options.concurrency || this.#stopping) return;
    }
  }

  #start(worker: ManualWorker, job: BullJob, token: string): void {
    const delivery: Delivery = { job, token, worker };
    this.#inFlight += 1;
    void this.#deliver(delivery);
  }

  /** One delivery, start to acknowledgement. One async function per job: this runs thousands of times a second. */
  async #deliver(delivery: Delivery): Promise<void> {
    try {
      if (this.#stopping) {
        // Fetched by a finish that was already on its way when stop() came.
        await this.#finish(this.#handBack(delivery));
        return;
      }
      const { job, worker } = delivery;
      const reserved = toReserved(worker.name, job);
      this.#running.set(reserved.id, delivery);
      let outcome: JobOutcome;
      try {
        outcome = await this.processor(reserved);
      } catch (error) {
        outcome = { status: 'failed', error: String(error) };
      }
      await this.#finish(this.#settle(reserved.id, delivery, outcome));
    } catch (error) {
      this.#report(error);
    } finally {
      this.#inFlight -= 1;
      this.#wake?.();
      if (this.#inFlight === 0) this.#allFinished?.();
    }
  }

  async #finish(work: Promise<void>): Promise<void> {
    this.#finishing.add(work);
    try {
      await work;
    } finally {
      this.#finishing.delete(work);
    }
  }

  async #settle(key: string, delivery: Delivery, outcome: JobOutcome): Promise<void> {
    if (this.#running.get(key) !== delivery) return; // handed back by abandon()
    const { job, token, worker } = delivery;
    // Only the first queue may fetch its own next job: for a later one an earlier queue may have work now.
    const fetchNext = !this.#stopping && worker === this.#workers[0];
    let next: unknown;
    try {
      switch (outcome.status) {
        case 'completed':
          next = await job.moveToCompleted(null, token, fetchNext);
          this.#completions.count(worker.name);
          break;
        case 'retry':
          await job.moveToFailed(new RetryLater(outcome.error, outcome.delayMs), token);
          break;
        case 'failed':
          await job.moveToFailed(new UnrecoverableError(outcome.error), token);
          break;
      }
    } finally {
      if (this.#running.get(key) === delivery) this.#running.delete(key);
    }
    const following = await worker.nextFrom(next, token);
    if (following) this.#start(worker, following, token);
  }

  /** Back to the front of its queue at once; the delivery does not count as an attempt. */
  async #handBack({ job, token, worker }: Delivery): Promise<void> {
    const jobKey = worker.toKey(job.id ?? '');
    await this.settings.client.eval(UNCOUNT_DELIVERY, 2, `${jobKey}:lock`, jobKey, token);
    await job.moveToWait(token);
  }

  #renew(): void {
    const byWorker = new Map<ManualWorker, { ids: string[]; tokens: string[] }>();
    for (const { job, token, worker } of this.#running.values()) {
      const batch = byWorker.get(worker) ?? { ids: [], tokens: [] };
      batch.ids.push(job.id ?? '');
      batch.tokens.push(token);
      byWorker.set(worker, batch);
    }
    for (const [worker, { ids, tokens }] of byWorker) {
      worker.extendJobLocks(ids, tokens, this.settings.retryAfterMs).then(
        (failed) => {
          // A job that finished meanwhile has no lock to renew: only the ones still running were lost.
          const lost = failed.filter((id) => this.#running.has(margId(worker.name, id)));
          if (lost.length > 0) this.#report(new Error(`lost the lock of ${lost.length} running job(s) on queue ${worker.name}: they may be delivered again`));
        },
        (error: unknown) => this.#report(error),
      );
    }
  }

  /** Until a marker says a job is waiting (or a delayed one is due), idleMs passes, or stop(). */
  async #waitForJobs(): Promise<void> {
    const markers = this.#workers.map((w) => w.keys.marker!);
    let until = Date.now() + this.options.idleMs;
    while (!this.#stopping) {
      const left = until - Date.now();
      if (left <= 0) return;
      let popped: [string, string, string] | null;
      try {
        popped = await this.settings.blocker.bzpopmin(...markers, Math.max(left, 1) / 1000);
      } catch (error) {
        if (!this.#stopping) {
          this.#report(error);
          await this.#sleep(Math.min(left, 1_000));
        }
        return;
      }
      if (!popped) return;
      const dueAt = Number(popped[2]);
      if (dueAt <= Date.now()) return;
      // A delayed job's marker: sleep until it is due, unless a new job comes first.
      until = Math.min(until, dueAt);
    }
  }

  #slotFreed(): Promise<void> {
    return new Promise<void>((resolve) => (this.#wake = () => resolve())).finally(() => (this.#wake = undefined));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.#wake = undefined));
  }

  #report(error: unknown): void {
    if (this.#abandoned) return;
    this.options.onError?.(error);
  }

  #close(force: boolean): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#renewal);
      await withTimeout(this.#completions.flush(), ABANDON_WAIT_MS).catch(() => {});
      // The shared command connection goes first when forced: BullMQ leaves a shared connection open, and its pending commands must end.
      if (force) this.settings.client.disconnect();
      await Promise.allSettled(this.#workers.map((w) => w.close(force)));
      this.settings.blocker.disconnect();
      if (!force) await withTimeout(this.settings.client.quit(), ABANDON_WAIT_MS).catch(() => this.settings.client.disconnect());
      this.settings.onClosed();
    })();
    return this.#closed;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
