import type { ConsumeOptions, Consumer, JobOutcome, JobProcessor, JobSession, JobSource, ReservedJob } from './contract.ts';

/** How long abandon() waits for the store (the loop, the hand-backs) before it closes the session regardless. */
const ABANDON_WAIT_MS = 2_000;

/** Runs jobs from any job source until stopped. */
export function consume(source: JobSource, processor: JobProcessor, options: ConsumeOptions): Consumer {
  return new JobConsumer(source, processor, options);
}

/**
 * The one consumer loop, whatever the store. With a free slot it asks each queue in priority
 * order for jobs until the slots are full or every queue is empty; then it waits for a slot to
 * free, or for the source to say a job may be waiting (the database polls and is woken by this
 * process's dispatches; Redis blocks on BullMQ's markers). Reservations of running jobs are
 * renewed every retryAfterMs/3, so a running job is never handed out twice.
 *
 * Completions go one of two ways (JobSession.groupsAcks). Grouped (database): the slot frees
 * as soon as the job has finished and the acknowledgement commits in the background, one call
 * for all that finished meanwhile; the job's reservation is renewed until it has, so a slow
 * commit does not hold the next job back. One by one (Redis): the job keeps its slot until its
 * acknowledgement returns, because that call may take the first queue's next job into the slot
 * (as BullMQ's own Worker does); for later queues the loop first looks at the earlier ones again.
 */
export class JobConsumer implements Consumer {
  readonly #session: JobSession;
  /** Deliveries holding a slot: running, or (one-by-one acks) their acknowledgement on its way. */
  readonly #running = new Map<string, ReservedJob>();
  /** Completed jobs whose grouped acknowledgement has not committed yet: still ours, so still renewed. */
  readonly #unacked = new Map<string, ReservedJob>();
  readonly #acks: ReservedJob[] = [];
  #acking: Promise<void> | undefined;
  /** Deliveries not settled yet: stop() waits for none to be left. */
  #inFlight = 0;
  #allSettled: (() => void) | undefined;
  /** Acknowledgements and hand-backs on their way to the store: abandon() waits for these, not for handlers. */
  readonly #finishing = new Set<Promise<unknown>>();
  #stopping = false;
  #abandoning: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #waitingForJobs = false;
  readonly #loop: Promise<void>;
  readonly #heartbeat: NodeJS.Timeout;
  #closed: Promise<void> | undefined;

  constructor(
    source: JobSource,
    private readonly processor: JobProcessor,
    private readonly options: ConsumeOptions,
  ) {
    if (options.queues.length === 0) throw new Error('consume: name at least one queue');
    this.#session = source.open(options.queues, { onError: (error) => this.#report(error), onSourceClose: () => this.abandon() });
    // Renew well before expiry, so a slow heartbeat never lets a running job be taken.
    this.#heartbeat = setInterval(() => this.#renew(), Math.max(50, Math.floor(this.#session.retryAfterMs / 3)));
    this.#heartbeat.unref();
    this.#loop = this.#run();
  }

  get running(): number {
    return this.#running.size;
  }

  async stop(): Promise<void> {
    this.#halt();
    await this.#loop;
    while (this.#inFlight > 0 && !this.#abandoning) await new Promise<void>((resolve) => (this.#allSettled = resolve));
    if (this.#abandoning) return;
    await this.#flushAcks().catch((error: unknown) => this.#report(error));
    await this.#close(false);
  }

  abandon(): Promise<void> {
    this.#abandoning ??= this.#abandon();
    return this.#abandoning;
  }

  async #abandon(): Promise<void> {
    this.#halt();
    // Bounded: with the store unreachable, commands may wait for a reconnect. Closing the session ends them,
    // and a job that could not be handed back comes back when its reservation expires, as if this worker had died.
    await Promise.race([this.#loop, sleep(ABANDON_WAIT_MS)]);
    const jobs = [...this.#running.values()];
    this.#running.clear();
    // Their outcomes, if they ever arrive, are dropped: #settle finds them no longer running.
    void this.#finish(this.#session.handBack(jobs)).catch(() => {});
    void this.#finish(this.#flushAcks()).catch(() => {});
    await Promise.race([this.#drainFinishing(), sleep(ABANDON_WAIT_MS)]);
    await this.#close(true);
    await Promise.race([this.#loop, sleep(ABANDON_WAIT_MS)]);
  }

  #halt(): void {
    this.#stopping = true;
    this.#wake?.();
    this.#session.interrupt();
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
    for (const queue of this.options.queues) {
      while (this.#running.size < this.options.concurrency && !this.#stopping) {
        const jobs = await this.#session.reserve(queue, this.options.concurrency - this.#running.size);
        for (const job of jobs) this.#start(job);
        if (jobs.length === 0) break;
      }
      if (this.#running.size >= this.options.concurrency || this.#stopping) return;
    }
  }

  #start(job: ReservedJob): void {
    this.#inFlight += 1;
    void this.#deliver(job);
  }

  /** One delivery, start to acknowledgement. One async function per job: this runs thousands of times a second. */
  async #deliver(job: ReservedJob): Promise<void> {
    try {
      if (this.#stopping) {
        // Reserved by a call that was already on its way when stop() came.
        await this.#finish(this.#session.handBack([job]));
        return;
      }
      this.#running.set(job.id, job);
      let outcome: JobOutcome;
      try {
        outcome = await this.processor(job);
      } catch (error) {
        outcome = { status: 'failed', error: String(error) };
      }
      const next = await this.#settle(job, outcome);
      if (next) this.#start(next);
    } catch (error) {
      this.#report(error);
    } finally {
      this.#inFlight -= 1;
      this.#wake?.();
      if (this.#waitingForJobs) this.#session.lookAgain();
      if (this.#inFlight === 0) this.#allSettled?.();
    }
  }

  /** Reports the outcome to the store; resolves with the next job when the acknowledgement took one. */
  async #settle(job: ReservedJob, outcome: JobOutcome): Promise<ReservedJob | undefined> {
    if (this.#running.get(job.id) !== job) return undefined; // handed back by abandon()
    try {
      switch (outcome.status) {
        case 'completed':
          if (this.#session.groupsAcks) return this.#ackLater(job);
          // Only the first queue may take its own next job: for a later one an earlier queue may have work now.
          return await this.#finish(this.#session.complete([job], !this.#stopping && job.queue === this.options.queues[0]));
        case 'retry':
          await this.#finish(this.#session.release(job, outcome.delayMs, outcome.error));
          return undefined;
        case 'failed':
          await this.#finish(this.#session.fail(job, outcome.error));
          return undefined;
      }
    } finally {
      if (this.#running.get(job.id) === job) this.#running.delete(job.id);
    }
  }

  /** Frees the slot now and acknowledges with the next group. */
  #ackLater(job: ReservedJob): undefined {
    this.#running.delete(job.id);
    this.#unacked.set(job.id, job);
    this.#acks.push(job);
    // Not awaited: a failed acknowledgement leaves the job reserved until it expires (then it runs again: at least once).
    this.#flushAcks().catch((error: unknown) => this.#report(error));
    return undefined;
  }

  /** Group commit: while one acknowledgement runs, completions gather for the next. */
  #flushAcks(): Promise<void> {
    if (this.#acking) return this.#acking.then(() => this.#flushAcks());
    if (this.#acks.length === 0) return Promise.resolve();
    const batch = this.#acks.splice(0);
    this.#acking = this.#session
      .complete(batch, false)
      .then(() => {})
      .finally(() => {
        this.#acking = undefined;
        for (const job of batch) this.#unacked.delete(job.id);
      });
    return this.#acking;
  }

  async #finish<T>(work: Promise<T>): Promise<T> {
    this.#finishing.add(work);
    try {
      return await work;
    } finally {
      this.#finishing.delete(work);
    }
  }

  async #drainFinishing(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.allSettled(this.#finishing);
  }

  #renew(): void {
    const jobs = [...this.#running.values(), ...this.#unacked.values()];
    if (jobs.length === 0) return;
    this.#session.extend(jobs).then(
      (lost) => {
        // A job that finished meanwhile has no reservation to renew: only the ones still running were lost.
        const byQueue = new Map<string, number>();
        for (const id of lost) {
          const job = this.#running.get(id);
          if (job) byQueue.set(job.queue, (byQueue.get(job.queue) ?? 0) + 1);
        }
        for (const [queue, n] of byQueue) this.#report(new Error(`lost the lock of ${n} running job(s) on queue ${queue}: they may be delivered again`));
      },
      (error: unknown) => this.#report(error),
    );
  }

  /** Until the source says a job may be waiting, idleMs passes, or stop() (a polling source also looks again when a slot frees). */
  async #waitForJobs(): Promise<void> {
    this.#waitingForJobs = true;
    try {
      await this.#session.waitForJobs(this.options.idleMs);
    } catch (error) {
      if (this.#stopping) return;
      this.#report(error);
      await this.#sleep(Math.min(this.options.idleMs, 1_000));
    } finally {
      this.#waitingForJobs = false;
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
    // After abandon() the store is being torn down under the running jobs: their errors say nothing.
    if (this.#abandoning) return;
    this.options.onError?.(error);
  }

  #close(force: boolean): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#heartbeat);
      await this.#session.close(force);
    })();
    return this.#closed;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
