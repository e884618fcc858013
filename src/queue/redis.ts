import { Queue } from 'bullmq';
import { RedisConnections } from '../redis/connection.ts';
import type { RedisSettings } from '../redis/settings.ts';
import { withTimeout } from '../support/timeout.ts';
import type { ConsumeOptions, Consumer, DispatchResult, FailedJob, JobProcessor, NewJob, QueueCounts, QueueDriver } from './contract.ts';
import { completedKey, minuteOf } from './redis-completions.ts';
import { dispatchInBulk } from './bulk.ts';
import { RedisConsumer } from './redis-consumer.ts';
import { bullPrefix, margId, newJobId, parseMargId, queueNamesKey, toBullOptions, toFailed, toStored, type StoredJob } from './redis-jobs.ts';

type BullQueue = Queue<StoredJob, unknown, string>;

const PING_TIMEOUT_MS = 2_000;
/** Operator commands work through the failed set in batches of this many jobs. */
const BATCH = 1_000;

/**
 * Jobs on Redis through BullMQ (one BullMQ queue per Marg queue, keys under
 * `<REDIS_PREFIX>queue:`). BullMQ stores, delays, locks, deduplicates and recovers stalled
 * jobs; Marg's worker runtime decides tries and backoff (so BullMQ never retries or fails a
 * job on its own), and RedisConsumer takes jobs in queue priority order.
 *
 * Differences from the database driver, within the contract: a dead worker's job comes back
 * after its lock expires *and* a stalled check has seen it (see RedisConsumer); a unique key
 * holds within one queue (BullMQ deduplicates per queue); ids are `<queue>:<job id>`.
 */
export class RedisQueueDriver implements QueueDriver {
  readonly driver = 'redis';
  readonly #connections: RedisConnections;
  readonly #prefix: string;
  readonly #namesKey: string;
  readonly #retryAfterMs: number;
  readonly #queues = new Map<string, BullQueue>();
  /** Queue names this process has recorded in the names set already (one SADD per name per process). */
  readonly #recorded = new Set<string>();
  readonly #consumers = new Set<RedisConsumer>();
  #readying: Promise<void> | undefined;

  constructor(settings: RedisSettings, options: { retryAfterMs: number }) {
    this.#connections = new RedisConnections(settings);
    this.#prefix = bullPrefix(settings);
    this.#namesKey = queueNamesKey(settings);
    this.#retryAfterMs = options.retryAfterMs;
  }

  async dispatch(job: NewJob): Promise<DispatchResult> {
    await this.#ensureReady();
    const jobId = newJobId();
    // The job is queued even when recording its queue's name fails (that is tried again on the next dispatch).
    const [added] = await Promise.all([this.#queue(job.queue).add(job.name, toStored(job), toBullOptions(job, jobId)), this.#record(job.queue).catch(() => {})]);
    // BullMQ answers a deduplicated add with the id of the job that holds the key.
    const id = added.id ?? jobId;
    return { id: margId(job.queue, id), duplicate: id !== jobId };
  }

  async dispatchMany(jobs: readonly NewJob[]): Promise<DispatchResult[]> {
    await this.#ensureReady();
    // Deduplication answers each add with the key's holder, so unique keys go one by one (dispatchInBulk).
    return dispatchInBulk(jobs, (plain) => this.#addTogether(plain), (job) => this.dispatch(job));
  }

  /** BullMQ's addBulk: one MULTI per queue, so a queue's jobs are all added or none are. */
  async #addTogether(jobs: readonly NewJob[]): Promise<string[]> {
    const ids = jobs.map(() => newJobId());
    const byQueue = new Map<string, number[]>();
    jobs.forEach((job, n) => {
      const positions = byQueue.get(job.queue);
      if (positions) positions.push(n);
      else byQueue.set(job.queue, [n]);
    });
    await Promise.all(
      [...byQueue].map(([queue, positions]) =>
        Promise.all([
          this.#queue(queue).addBulk(positions.map((n) => ({ name: jobs[n]!.name, data: toStored(jobs[n]!), opts: toBullOptions(jobs[n]!, ids[n]!) }))),
          this.#record(queue).catch(() => {}),
        ]),
      ),
    );
    return jobs.map((job, n) => margId(job.queue, ids[n]!));
  }

  consume(processor: JobProcessor, options: ConsumeOptions): Consumer {
    // BullMQ workers need commands that wait for a reconnect instead of failing (maxRetriesPerRequest: null).
    const consumer: RedisConsumer = new RedisConsumer(
      {
        prefix: this.#prefix,
        retryAfterMs: this.#retryAfterMs,
        client: this.#connections.duplicate({ maxRetriesPerRequest: null }),
        blocker: this.#connections.duplicate({ maxRetriesPerRequest: null }),
        namesKey: this.#namesKey,
        onClosed: () => this.#consumers.delete(consumer),
      },
      processor,
      options,
    );
    this.#consumers.add(consumer);
    return consumer;
  }

  async stats(queues: readonly string[] = []): Promise<QueueCounts[]> {
    const names = [...new Set([...(await this.#known()), ...queues])].sort();
    const lastMinute = minuteOf(Date.now()) - 1;
    return Promise.all(
      names.map(async (name) => {
        const queue = this.#queue(name);
        const [counts, completed] = await Promise.all([
          queue.getJobCounts('wait', 'prioritized', 'paused', 'active', 'delayed', 'failed'),
          this.#connections.client.get(completedKey(this.#namesKey, name, lastMinute)),
        ]);
        return {
          queue: name,
          waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0),
          running: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
          perMinute: Number(completed ?? 0),
        };
      }),
    );
  }

  async size(): Promise<number> {
    const counts = await Promise.all((await this.#known()).map((name) => this.#queue(name).getJobCounts('wait', 'prioritized', 'paused', 'active', 'delayed')));
    return counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
  }

  async failed(limit: number): Promise<FailedJob[]> {
    if (limit <= 0) return [];
    const perQueue = await Promise.all(
      (await this.#known()).map(async (name) => {
        // Newest first: the failed set is scored by finish time, ties by job id (dispatch order).
        const jobs = await this.#queue(name).getJobs(['failed'], 0, limit - 1, false);
        return jobs.map((job) => ({ failed: toFailed(name, job), finishedOn: job.finishedOn ?? 0, jobId: job.id ?? '' }));
      }),
    );
    return perQueue
      .flat()
      .sort((a, b) => b.finishedOn - a.finishedOn || (a.jobId < b.jobId ? 1 : a.jobId > b.jobId ? -1 : 0))
      .slice(0, limit)
      .map((f) => f.failed);
  }

  async retry(id: string): Promise<boolean> {
    const ref = parseMargId(id);
    if (!ref) return false;
    await this.#ensureReady();
    const job = await this.#queue(ref.queue).getJob(ref.jobId);
    if (!job || !(await job.isFailed())) return false;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  async retryAll(): Promise<number> {
    let retried = 0;
    for (const name of await this.#known()) {
      // The ids as they are now: a job that fails again meanwhile is not retried twice.
      const ids = await this.#queue(name).getRanges(['failed'], 0, -1, true);
      for (const jobId of ids) if (await this.retry(margId(name, jobId))) retried += 1;
    }
    return retried;
  }

  async forget(id: string): Promise<boolean> {
    const ref = parseMargId(id);
    if (!ref) return false;
    await this.#ensureReady();
    const queue = this.#queue(ref.queue);
    const job = await queue.getJob(ref.jobId);
    if (!job || !(await job.isFailed())) return false;
    return (await queue.remove(ref.jobId)) === 1;
  }

  async flushFailed(queue?: string): Promise<number> {
    return this.#clean(queue === undefined ? await this.#known() : [queue], () => 0);
  }

  async pruneFailed(olderThan: Date): Promise<number> {
    return this.#clean(await this.#known(), () => Math.max(0, Date.now() - olderThan.getTime()));
  }

  async ping(): Promise<void> {
    await withTimeout(this.#connections.client.ping(), PING_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    // A consumer still running when the driver closes hands its jobs back rather than holding the process open.
    await Promise.allSettled([...this.#consumers].map((c) => c.abandon()));
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
    await this.#connections.close();
  }

  #queue(name: string): BullQueue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue<StoredJob, unknown, string>(name, { connection: this.#connections.client, prefix: this.#prefix });
      // Connection errors reach the callers of the commands that hit them; an unheard 'error' event would crash the process.
      queue.on('error', () => {});
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async #record(name: string): Promise<void> {
    if (this.#recorded.has(name)) return;
    this.#recorded.add(name);
    try {
      await this.#connections.client.sadd(this.#namesKey, name);
    } catch (error) {
      this.#recorded.delete(name);
      throw error;
    }
  }

  /**
   * BullMQ waits for a connection that is not ready yet for as long as Redis is away; every
   * other Redis call fails after a short outage, so these do too (the PING fails within ~1 s).
   */
  async #ensureReady(): Promise<void> {
    if (this.#connections.client.status === 'ready') return;
    // One PING for every call that arrives meanwhile (a burst of dispatches on a fresh connection).
    this.#readying ??= this.ping().finally(() => (this.#readying = undefined));
    await this.#readying;
  }

  async #known(): Promise<string[]> {
    await this.#ensureReady();
    return this.#connections.client.smembers(this.#namesKey);
  }

  /** Deletes failed jobs that finished more than grace() ms ago, a batch at a time; returns how many. */
  async #clean(names: readonly string[], grace: () => number): Promise<number> {
    await this.#ensureReady();
    let removed = 0;
    for (const name of names) {
      for (;;) {
        const ids = await this.#queue(name).clean(grace(), BATCH, 'failed');
        removed += ids.length;
        if (ids.length < BATCH) break;
      }
    }
    return removed;
  }
}
