import type { RedisSettings } from '../redis/settings.ts';
import type { DispatchResult, JobProducer, NewJob, QueueBackend, QueueCounts, QueueMonitor } from './contract.ts';
import { completedKey, minuteOf } from './redis-completions.ts';
import { dispatchInBulk } from './bulk.ts';
import { RedisFailedJobs } from './redis-failed.ts';
import { margId, newJobId, toBullOptions, toStored } from './redis-jobs.ts';
import { RedisJobSource } from './redis-source.ts';
import { RedisQueueStore, type ReplicaWait } from './redis-store.ts';

/**
 * Jobs on Redis through BullMQ (one BullMQ queue per Marg queue, keys under
 * `<REDIS_PREFIX>queue:`). BullMQ stores, delays, locks, deduplicates and recovers stalled
 * jobs; Marg's worker runtime decides tries and backoff (so BullMQ never retries or fails a
 * job on its own), and Marg's consumer takes jobs in queue priority order (redis-source.ts).
 *
 * Differences from the database driver, within the contract: a dead worker's job comes back
 * after its lock expires *and* a stalled check has seen it (see RedisJobSource); a unique key
 * holds within one queue (BullMQ deduplicates per queue); ids are `<queue>:<job id>`.
 */
export function createRedisQueue(settings: RedisSettings, options: { retryAfterMs: number; wait?: ReplicaWait }): QueueBackend {
  const store = new RedisQueueStore(settings, options);
  const queue = new RedisQueue(store);
  const source = new RedisJobSource(store);
  return {
    driver: 'redis',
    producer: queue,
    monitor: queue,
    source,
    failedJobs: new RedisFailedJobs(store),
    async close() {
      await source.close();
      await store.close();
    },
  };
}

/** Dispatching to BullMQ queues (BullMQ's Queue side), and counting what they hold. */
export class RedisQueue implements JobProducer, QueueMonitor {
  constructor(private readonly store: RedisQueueStore) {}

  async dispatch(job: NewJob): Promise<DispatchResult> {
    await this.store.ensureReady();
    const jobId = newJobId();
    // The job is queued even when recording its queue's name fails (that is tried again on the next dispatch).
    const [added] = await Promise.all([this.store.queue(job.queue).add(job.name, toStored(job), toBullOptions(job, jobId)), this.store.record(job.queue).catch(() => {})]);
    // BullMQ answers a deduplicated add with the id of the job that holds the key.
    const id = added.id ?? jobId;
    await this.store.confirmReplicated();
    return { id: margId(job.queue, id), duplicate: id !== jobId };
  }

  async dispatchMany(jobs: readonly NewJob[]): Promise<DispatchResult[]> {
    await this.store.ensureReady();
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
          this.store.queue(queue).addBulk(positions.map((n) => ({ name: jobs[n]!.name, data: toStored(jobs[n]!), opts: toBullOptions(jobs[n]!, ids[n]!) }))),
          this.store.record(queue).catch(() => {}),
        ]),
      ),
    );
    await this.store.confirmReplicated();
    return jobs.map((job, n) => margId(job.queue, ids[n]!));
  }

  async stats(queues: readonly string[] = []): Promise<QueueCounts[]> {
    const names = [...new Set([...(await this.store.known()), ...queues])].sort();
    const lastMinute = minuteOf(Date.now()) - 1;
    return Promise.all(
      names.map(async (name) => {
        const queue = this.store.queue(name);
        const [counts, completed] = await Promise.all([
          queue.getJobCounts('wait', 'prioritized', 'paused', 'active', 'delayed', 'failed'),
          this.store.connections.client.get(completedKey(this.store.namesKey, name, lastMinute)),
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
    const counts = await Promise.all((await this.store.known()).map((name) => this.store.queue(name).getJobCounts('wait', 'prioritized', 'paused', 'active', 'delayed')));
    return counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
  }

  ping(timeoutMs?: number): Promise<void> {
    return this.store.ping(timeoutMs);
  }
}
