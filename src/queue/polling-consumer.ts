import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { ConsumeOptions, Consumer, JobOutcome, JobProcessor, ReservedJob } from './contract.ts';

/** What a polling consumer needs from a store of jobs; every call is guarded by the reservation token. */
export interface JobStore {
  readonly retryAfterMs: number;
  reserve(queue: string, limit: number, token: string): Promise<ReservedJob[]>;
  /** Renews the reservations of jobs still running. */
  extend(token: string, ids: readonly string[]): Promise<void>;
  complete(token: string, jobs: readonly ReservedJob[]): Promise<void>;
  release(token: string, job: ReservedJob, delayMs: number): Promise<void>;
  fail(token: string, job: ReservedJob, error: string): Promise<void>;
  /** Makes jobs available again at once, without counting the delivery. */
  handBack(token: string, ids: readonly string[]): Promise<void>;
}

/**
 * Runs jobs from a store that has to be polled (the database queue): reserves as many as it
 * has free slots, in queue priority order, renews their reservations while they run, and
 * acknowledges completions in batches (one DELETE for all that finished meanwhile). A slot is
 * free as soon as its job has finished: the acknowledgement commits in the background (and the
 * job's reservation is renewed until it has), so a slow commit does not hold the next job back.
 * Written by hand: the store semantics are Marg's own, so no library matches them.
 */
export class PollingConsumer implements Consumer {
  /** One token for this consumer's reservations: its heartbeat and acks touch only its own rows. */
  readonly #token = randomUUID();
  readonly #running = new Map<string, { job: ReservedJob; done: Promise<void> }>();
  readonly #acks: ReservedJob[] = [];
  /** Completed jobs whose DELETE has not committed yet: still ours, so still renewed. */
  readonly #unacked = new Set<string>();
  #acking: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onDispatch: (queue: string) => void;

  constructor(
    private readonly store: JobStore,
    private readonly processor: JobProcessor,
    private readonly options: ConsumeOptions,
    private readonly dispatched: EventEmitter,
  ) {
    this.#onDispatch = (queue) => {
      if (options.queues.includes(queue)) this.#wake?.();
    };
    dispatched.on('job', this.#onDispatch);
    // Renew well before expiry, so a slow heartbeat never lets a running job be taken.
    this.#heartbeat = setInterval(() => this.#renew(), Math.max(50, Math.floor(store.retryAfterMs / 3)));
    this.#heartbeat.unref();
    this.#loop = this.#run();
  }

  get running(): number {
    return this.#running.size;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    await Promise.all([...this.#running.values()].map((r) => r.done));
    await this.#flushAcks();
    this.#close();
  }

  async abandon(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    const ids = [...this.#running.keys()];
    this.#running.clear();
    this.#close();
    await this.#flushAcks().catch(() => {});
    // Their outcomes, if they ever arrive, no longer match a reservation of ours for these rows.
    await this.store.handBack(this.#token, ids).catch(() => {});
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const free = this.options.concurrency - this.#running.size;
      let reserved = 0;
      if (free > 0) {
        try {
          for (const queue of this.options.queues) {
            if (reserved >= free || this.#stopping) break;
            const jobs = await this.store.reserve(queue, free - reserved, this.#token);
            for (const job of jobs) this.#start(job);
            reserved += jobs.length;
          }
        } catch (error) {
          this.options.onError?.(error);
        }
      }
      if (reserved > 0 && this.#running.size < this.options.concurrency) continue;
      // Sleep until a slot frees, a job is dispatched here, or the poll interval passes.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, free > 0 ? this.options.idleMs : 60_000);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }

  #start(job: ReservedJob): void {
    const done = this.processor(job).then(
      (outcome) => this.#settle(job, outcome),
      (error: unknown) => this.#settle(job, { status: 'failed', error: String(error) }),
    );
    this.#running.set(job.id, {
      job,
      done: done
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.#running.delete(job.id);
          this.#wake?.();
        }),
    });
  }

  async #settle(job: ReservedJob, outcome: JobOutcome): Promise<void> {
    if (!this.#running.has(job.id)) return; // abandoned: handed back already
    switch (outcome.status) {
      case 'completed':
        this.#acks.push(job);
        this.#unacked.add(job.id);
        // Not awaited: the slot frees now. A failed DELETE leaves the job reserved until it expires (then it runs again: at least once).
        this.#flushAcks().catch((error: unknown) => this.options.onError?.(error));
        return;
      case 'retry':
        return this.store.release(this.#token, job, outcome.delayMs);
      case 'failed':
        return this.store.fail(this.#token, job, outcome.error);
    }
  }

  /** Group commit: while one DELETE runs, completions gather for the next. */
  #flushAcks(): Promise<void> {
    if (this.#acking) return this.#acking.then(() => this.#flushAcks());
    if (this.#acks.length === 0) return Promise.resolve();
    const batch = this.#acks.splice(0);
    this.#acking = this.store.complete(this.#token, batch).finally(() => {
      this.#acking = undefined;
      for (const job of batch) this.#unacked.delete(job.id);
    });
    return this.#acking;
  }

  #renew(): void {
    const ids = [...this.#running.keys(), ...this.#unacked];
    if (ids.length > 0) this.store.extend(this.#token, ids).catch((error: unknown) => this.options.onError?.(error));
  }

  #close(): void {
    clearInterval(this.#heartbeat);
    this.dispatched.off('job', this.#onDispatch);
  }
}
