import type { FailedJob, FailedJobProvider } from './contract.ts';
import { margId, parseMargId, READY_FIELD, toFailed } from './redis-jobs.ts';
import type { RedisQueueStore } from './redis-store.ts';

/** Operator commands work through the failed set in batches of this many jobs. */
const BATCH = 1_000;

/** BullMQ's failed sets: BullMQ keeps a failed job (removeOnFail: false) until it is retried or removed. */
export class RedisFailedJobs implements FailedJobProvider {
  constructor(private readonly store: RedisQueueStore) {}

  async failed(limit: number): Promise<FailedJob[]> {
    if (limit <= 0) return [];
    const perQueue = await Promise.all(
      (await this.store.known()).map(async (name) => {
        // Newest first: the failed set is scored by finish time, ties by job id (dispatch order).
        const jobs = await this.store.queue(name).getJobs(['failed'], 0, limit - 1, false);
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
    await this.store.ensureReady();
    const job = await this.store.queue(ref.queue).getJob(ref.jobId);
    if (!job || !(await job.isFailed())) return false;
    // Due from now: its wait must not count the time it spent failed.
    await this.store.connections.client.hset(this.store.queue(ref.queue).toKey(ref.jobId), READY_FIELD, Date.now());
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  async retryAll(): Promise<number> {
    let retried = 0;
    for (const name of await this.store.known()) {
      // The ids as they are now: a job that fails again meanwhile is not retried twice.
      const ids = await this.store.queue(name).getRanges(['failed'], 0, -1, true);
      for (const jobId of ids) if (await this.retry(margId(name, jobId))) retried += 1;
    }
    return retried;
  }

  async forget(id: string): Promise<boolean> {
    const ref = parseMargId(id);
    if (!ref) return false;
    await this.store.ensureReady();
    const queue = this.store.queue(ref.queue);
    const job = await queue.getJob(ref.jobId);
    if (!job || !(await job.isFailed())) return false;
    return (await queue.remove(ref.jobId)) === 1;
  }

  async flushFailed(queue?: string): Promise<number> {
    return this.#clean(queue === undefined ? await this.store.known() : [queue], () => 0);
  }

  async pruneFailed(olderThan: Date): Promise<number> {
    return this.#clean(await this.store.known(), () => Math.max(0, Date.now() - olderThan.getTime()));
  }

  /** Deletes failed jobs that finished more than grace() ms ago, a batch at a time; returns how many. */
  async #clean(names: readonly string[], grace: () => number): Promise<number> {
    await this.store.ensureReady();
    let removed = 0;
    for (const name of names) {
      for (;;) {
        const ids = await this.store.queue(name).clean(grace(), BATCH, 'failed');
        removed += ids.length;
        if (ids.length < BATCH) break;
      }
    }
    return removed;
  }
}
