import type { FailedJob, FailedJobProvider, JsonValue } from './contract.ts';
import type { DatabaseQueueStore } from './database-store.ts';

/** The `failed_jobs` table: a job that failed for good moves there, as in Laravel. */
export class DatabaseFailedJobs implements FailedJobProvider {
  constructor(private readonly store: DatabaseQueueStore) {}

  async failed(limit: number): Promise<FailedJob[]> {
    const rows = await this.store.db.selectFrom('failed_jobs').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: String(r.id),
      queue: r.queue,
      name: r.name,
      payload: JSON.parse(r.payload) as JsonValue,
      attempts: r.attempts,
      error: r.error,
      failedAt: new Date(Number(r.failed_at)).toISOString(),
    }));
  }

  async retry(id: string): Promise<boolean> {
    if (!/^\d{1,15}$/.test(id)) return false;
    return this.store.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('failed_jobs').selectAll().where('id', '=', Number(id)).executeTakeFirst();
      if (!row) return false;
      const now = Date.now();
      await trx
        .insertInto('jobs')
        .values({
          queue: row.queue,
          name: row.name,
          payload: row.payload,
          attempts: 0,
          tries: row.tries,
          backoff: row.backoff,
          timeout_ms: row.timeout_ms,
          unique_key: null,
          available_at: now,
          token: null,
          created_at: now,
        })
        .execute();
      await trx.deleteFrom('failed_jobs').where('id', '=', row.id).execute();
      this.store.dispatched(row.queue);
      return true;
    });
  }

  async retryAll(): Promise<number> {
    let retried = 0;
    for (;;) {
      const ids = await this.store.db.selectFrom('failed_jobs').select('id').orderBy('id').limit(500).execute();
      if (ids.length === 0) return retried;
      for (const { id } of ids) if (await this.retry(String(id))) retried += 1;
    }
  }

  async forget(id: string): Promise<boolean> {
    if (!/^\d{1,15}$/.test(id)) return false;
    const result = await this.store.db.deleteFrom('failed_jobs').where('id', '=', Number(id)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async flushFailed(queue?: string): Promise<number> {
    let query = this.store.db.deleteFrom('failed_jobs');
    if (queue !== undefined) query = query.where('queue', '=', queue);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  }

  async pruneFailed(olderThan: Date): Promise<number> {
    const result = await this.store.db.deleteFrom('failed_jobs').where('failed_at', '<', olderThan.getTime()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
