import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type JobJsonRaw, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTimeout } from '../support/timeout.ts';
import type { JobSession, JobSource, ReservedJob, SessionHooks } from './contract.ts';
import { CompletionCounter } from './redis-completions.ts';
import { margId, NEVER, READY_FIELD, readyTime, RetryLater, toReserved, type BullJob, type StoredJob } from './redis-jobs.ts';
import type { RedisQueueStore } from './redis-store.ts';

/**
 * Hands a job back without counting the delivery, but only while this session still holds
 * its lock (BullMQ's `<job>:lock` key and `ats` = attemptsStarted field). BullMQ has no call
 * that undoes an attempt, so this one line of its data model is Marg's own. The job is due
 * again from now (READY_FIELD), so its next wait starts here.
 */
const UNCOUNT_DELIVERY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  return redis.call('HINCRBY', KEYS[2], 'ats', -1)
end
return -1`;

/** Records when a held job is due again (READY_FIELD), while this session still holds its lock. */
const MARK_READY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return -1`;

/** How long closing waits for Redis (the completion counts, a graceful QUIT) before it cuts the connection. */
const CLOSE_WAIT_MS = 2_000;

/** A BZPOPMIN answer later than its timeout plus this means its connection is dead. */
const BLOCK_GRACE_MS = 10_000;

/** How often the stalled-job check runs: often enough that a dead worker's job comes back soon after its lock expires. */
export function stalledIntervalMs(retryAfterMs: number): number {
  return Math.min(30_000, Math.max(100, Math.floor(retryAfterMs / 2)));
}

/**
 * Jobs taken from BullMQ queues in Marg's priority order. BullMQ's own Worker runs one queue,
 * and two Workers would take jobs from both queues at once, so jobs are taken by hand: ask a
 * queue for its next job (one Lua call that also locks it for `retryAfterMs`); when every
 * queue is empty, block on their marker keys (BullMQ's wake-up signal: a new job, or a delayed
 * job's due time). Completing a job can take the same queue's next job in the same call, as
 * BullMQ's Worker does.
 *
 * A worker that dies stops renewing its locks: its jobs are moved back to waiting by the
 * stalled check of any living session on the queue (every `stalledIntervalMs`: a first check
 * marks them, a check after their lock expired moves them), so they are delivered again within
 * retryAfterMs + stalledInterval of the death: ≤ 1.5 × retryAfterMs up to 60 s, else
 * ≤ retryAfterMs + 30 s (120 s at the default 90 s). That delivery counts as an attempt.
 */
export class RedisJobSource implements JobSource {
  /** Open sessions, with how to make their consumers let go. */
  readonly #sessions = new Map<RedisSession, SessionHooks['onSourceClose']>();

  constructor(
    private readonly store: RedisQueueStore,
    private readonly options: { readonly blockGraceMs?: number } = {},
  ) {}

  open(queues: readonly string[], hooks: SessionHooks): JobSession {
    const session: RedisSession = new RedisSession(this.store, queues, hooks.onError, () => this.#sessions.delete(session), this.options.blockGraceMs);
    this.#sessions.set(session, hooks.onSourceClose);
    return session;
  }

  /** A consumer still running when the queue closes hands its jobs back rather than holding the process open. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#sessions.values()].map((abandon) => abandon()));
  }
}

/**
 * A BullMQ worker without a processor ("manual" mode): the session takes its jobs with
 * getNextJob and finishes them itself. The subclass only turns the next job that a finish
 * returned (fetchNext) into a Job, as BullMQ's own loop does.
 */
class ManualWorker extends Worker<StoredJob, unknown, string> {
  /** Due times read from the job hashes as jobs are taken: BullMQ's Job drops fields it does not know. */
  readonly #readyAt = new WeakMap<BullJob, number>();

  nextFrom(result: unknown, token: string): Promise<BullJob | undefined> {
    if (!Array.isArray(result) || !result[0]) return Promise.resolve(undefined);
    return this.nextJobFromJobData(result[0] as JobJsonRaw, result[1] as string, token);
  }

  protected override createJob(data: JobJsonRaw, jobId: string): BullJob {
    const job = super.createJob(data, jobId);
    this.#readyAt.set(job, readyTime(job, (data as unknown as Record<string, unknown>)[READY_FIELD]));
    return job;
  }

  readyAt(job: BullJob): number {
    return this.#readyAt.get(job) ?? readyTime(job, undefined);
  }
}

/** A job this session holds: BullMQ's job, the lock token it was taken with, and its queue's worker. */
interface Delivery {
  readonly job: BullJob;
  readonly token: string;
  readonly worker: ManualWorker;
}

/** One consumer's BullMQ workers (one per queue) on connections of their own. */
class RedisSession implements JobSession {
  readonly groupsAcks = false;
  readonly #id = randomUUID();
  #tokens = 0;
  readonly #workers = new Map<string, ManualWorker>();
  /** By Marg id. */
  readonly #held = new Map<string, Delivery>();
  /** Commands (maxRetriesPerRequest: null, as BullMQ workers require). */
  readonly #client: Redis;
  /** Waits for markers (BZPOPMIN) while every queue is empty. */
  #blocker: Redis;
  readonly #completions: CompletionCounter;
  #interrupted = false;
  #closed: Promise<void> | undefined;

  constructor(
    private readonly store: RedisQueueStore,
    queues: readonly string[],
    private readonly onError: (error: unknown) => void,
    private readonly onClosed: () => void,
    /** How long past its own timeout a BZPOPMIN may take before its connection is given up. */
    private readonly blockGraceMs = BLOCK_GRACE_MS,
  ) {
    // BullMQ workers need commands that wait for a reconnect instead of failing (maxRetriesPerRequest: null).
    this.#client = store.connections.duplicate({ maxRetriesPerRequest: null });
    this.#blocker = store.connections.duplicate({ maxRetriesPerRequest: null });
    this.#completions = new CompletionCounter(this.#client, store.namesKey);
    const workerOptions: WorkerOptions = {
      connection: this.#client,
      prefix: store.prefix,
      autorun: false,
      lockDuration: store.retryAfterMs,
      stalledInterval: stalledIntervalMs(store.retryAfterMs),
      // A stalled job always comes back; Marg's runtime fails it once its deliveries pass its tries.
      maxStalledCount: NEVER,
      // Retries are Marg's decision: the delay rides on the error (RetryLater); UnrecoverableError fails for good.
      settings: { backoffStrategy: (_made, _type, error) => (error instanceof RetryLater ? error.delayMs : 0) },
    };
    for (const queue of queues) {
      const worker = new ManualWorker(queue, null, workerOptions);
      worker.on('error', onError);
      void worker.startStalledCheckTimer().catch(onError);
      this.#workers.set(queue, worker);
    }
  }

  get retryAfterMs(): number {
    return this.store.retryAfterMs;
  }

  /** One job at a time: the consumer starts it while asking for the next. */
  async reserve(queue: string): Promise<ReservedJob[]> {
    const worker = this.#workers.get(queue);
    if (!worker) return [];
    const token = `${this.#id}:${this.#tokens++}`;
    const job = await worker.getNextJob(token, { block: false });
    return job ? [this.#hold(worker, job, token)] : [];
  }

  async extend(jobs: readonly ReservedJob[]): Promise<readonly string[]> {
    const byWorker = new Map<ManualWorker, { ids: string[]; tokens: string[] }>();
    for (const reserved of jobs) {
      const delivery = this.#held.get(reserved.id);
      if (!delivery) continue;
      const batch = byWorker.get(delivery.worker) ?? { ids: [], tokens: [] };
      batch.ids.push(delivery.job.id ?? '');
      batch.tokens.push(delivery.token);
      byWorker.set(delivery.worker, batch);
    }
    const lost = await Promise.all(
      [...byWorker].map(async ([worker, { ids, tokens }]) => (await worker.extendJobLocks(ids, tokens, this.store.retryAfterMs)).map((id) => margId(worker.name, id))),
    );
    return lost.flat();
  }

  async complete(jobs: readonly ReservedJob[], takeNext: boolean): Promise<ReservedJob | undefined> {
    let following: ReservedJob | undefined;
    for (const [n, job] of jobs.entries()) following = await this.#completeOne(job, takeNext && n === jobs.length - 1);
    return following;
  }

  async #completeOne(reserved: ReservedJob, takeNext: boolean): Promise<ReservedJob | undefined> {
    const delivery = this.#held.get(reserved.id);
    if (!delivery) return undefined;
    const { job, token, worker } = delivery;
    let next: unknown;
    try {
      next = await job.moveToCompleted(null, token, takeNext);
      this.#completions.count(worker.name);
    } finally {
      this.#held.delete(reserved.id);
    }
    // The next job comes locked with the same token.
    const following = await worker.nextFrom(next, token);
    return following ? this.#hold(worker, following, token) : undefined;
  }

  async release(job: ReservedJob, delayMs: number, error: string): Promise<void> {
    const delivery = this.#held.get(job.id);
    if (!delivery) return;
    // Before the move: once it is back in the queue another worker may take it at once (a zero backoff).
    const jobKey = delivery.worker.toKey(delivery.job.id ?? '');
    await this.#client.eval(MARK_READY, 2, `${jobKey}:lock`, jobKey, delivery.token, READY_FIELD, Date.now() + delayMs);
    await this.#moveToFailed(job, new RetryLater(error, delayMs));
  }

  async fail(job: ReservedJob, error: string): Promise<void> {
    await this.#moveToFailed(job, new UnrecoverableError(error));
  }

  async #moveToFailed(reserved: ReservedJob, error: Error): Promise<void> {
    const delivery = this.#held.get(reserved.id);
    if (!delivery) return;
    try {
      await delivery.job.moveToFailed(error, delivery.token);
    } finally {
      this.#held.delete(reserved.id);
    }
  }

  /** Back to the front of its queue at once; the delivery does not count as an attempt. */
  async handBack(jobs: readonly ReservedJob[]): Promise<void> {
    const results = await Promise.allSettled(jobs.map((job) => this.#handBackOne(job)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #handBackOne(reserved: ReservedJob): Promise<void> {
    const delivery = this.#held.get(reserved.id);
    if (!delivery) return;
    this.#held.delete(reserved.id);
    const { job, token, worker } = delivery;
    const jobKey = worker.toKey(job.id ?? '');
    await this.#client.eval(UNCOUNT_DELIVERY, 2, `${jobKey}:lock`, jobKey, token, READY_FIELD, Date.now());
    await job.moveToWait(token);
  }

  /** Until a marker says a job is waiting (or a delayed one is due), `ms` passes, or interrupt(). */
  async waitForJobs(ms: number): Promise<void> {
    const markers = [...this.#workers.values()].map((w) => w.keys.marker!);
    let until = Date.now() + ms;
    while (!this.#interrupted) {
      const left = until - Date.now();
      if (left <= 0) return;
      const popped = await this.#blockFor(markers, left);
      if (!popped) return;
      const dueAt = Number(popped[2]);
      if (dueAt <= Date.now()) return;
      // A delayed job's marker: sleep until it is due, unless a new job comes first.
      until = Math.min(until, dueAt);
    }
  }

  /**
   * BZPOPMIN with a deadline of our own. Redis answers a timed-out BZPOPMIN with nil, but over a
   * connection that died without a reset (a half-open socket: a NAT or container network that
   * dropped it) no answer ever comes, and a worker waiting for it would take no job again. Past
   * the deadline the blocking connection is replaced and the consumer looks at its queues.
   */
  async #blockFor(markers: string[], ms: number): Promise<[string, string, string] | null> {
    const pop = this.#blocker.bzpopmin(...markers, Math.max(ms, 1) / 1000);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms + this.blockGraceMs);
    });
    try {
      const popped = await Promise.race([pop, late]);
      if (popped !== 'late') return popped;
      // Its answer, should one still come, is not waited for (a marker only says to look).
      pop.catch(() => {});
      if (this.#interrupted) return null;
      this.onError(new Error(`the queue's blocking Redis connection gave no answer within ${ms + this.blockGraceMs} ms: reconnecting it`));
      // A new connection: the old one's pending BZPOPMIN is dropped with it, not sent again.
      const dead = this.#blocker;
      this.#blocker = this.store.connections.duplicate({ maxRetriesPerRequest: null });
      dead.disconnect();
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** BZPOPMIN keeps blocking: the markers say when a job comes. */
  lookAgain(): void {}

  interrupt(): void {
    this.#interrupted = true;
    // Ends a BZPOPMIN in progress at once.
    this.#blocker.disconnect();
  }

  close(force: boolean): Promise<void> {
    this.#closed ??= (async () => {
      await withTimeout(this.#completions.flush(), CLOSE_WAIT_MS).catch(() => {});
      // The shared command connection goes first when forced: BullMQ leaves a shared connection open, and its pending commands must end.
      if (force) this.#client.disconnect();
      await Promise.allSettled([...this.#workers.values()].map((w) => w.close(force)));
      this.#blocker.disconnect();
      if (!force) await withTimeout(this.#client.quit(), CLOSE_WAIT_MS).catch(() => this.#client.disconnect());
      this.onClosed();
    })();
    return this.#closed;
  }

  #hold(worker: ManualWorker, job: BullJob, token: string): ReservedJob {
    const reserved = toReserved(worker.name, job, worker.readyAt(job));
    this.#held.set(reserved.id, { job, token, worker });
    return reserved;
  }
}
