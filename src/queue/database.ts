import { sql } from 'kysely';
import type { DatabaseConnection } from '../database/contract.ts';
import { isUniqueViolation, retryingDeadlocks } from '../database/errors.ts';
import { insertGetId } from '../database/schema.ts';
import type { DispatchResult, JobProducer, NewJob, QueueBackend, QueueCounts, QueueMonitor } from './contract.ts';
import { dispatchInBulk } from './bulk.ts';
import { DatabaseFailedJobs } from './database-failed.ts';
import { DatabaseJobSource } from './database-source.ts';
import { DatabaseQueueStore } from './database-store.ts';

/** Jobs in the platform database (Laravel's database queue); the connection stays its owner's to close. */
export function createDatabaseQueue(connection: DatabaseConnection<unknown>, options: { retryAfterMs: number }): QueueBackend {
  const store = new DatabaseQueueStore(connection, options);
  const queue = new DatabaseQueue(store);
  return {
    driver: 'database',
    producer: queue,
    monitor: queue,
    source: new DatabaseJobSource(store),
    failedJobs: new DatabaseFailedJobs(store),
    close: () => store.close(),
  };
}

/** Dispatching into the `jobs` table, and counting what it holds. */
export class DatabaseQueue implements JobProducer, QueueMonitor {
  constructor(private readonly store: DatabaseQueueStore) {}

  async dispatch(job: NewJob): Promise<DispatchResult> {
    const { db, dialect } = this.store;
    const row = toRow(job, Date.now());
    try {
      const id = await retryingDeadlocks(() => insertGetId(db.insertInto('jobs').values(row), dialect));
      this.store.dispatched(job.queue);
      return { id: String(id), duplicate: false };
    } catch (error) {
      if (job.uniqueKey === null || !isUniqueViolation(error)) throw error;
      const existing = await db.selectFrom('jobs').select('id').where('unique_key', '=', job.uniqueKey).executeTakeFirst();
      // The holder finished between our insert and this read: the key is free again.
      if (!existing) return this.dispatch(job);
      return { id: String(existing.id), duplicate: true };
    }
  }

  dispatchMany(jobs: readonly NewJob[]): Promise<DispatchResult[]> {
    // Unique keys go one by one (dispatchInBulk): a taken key fails its INSERT, which would end a PostgreSQL transaction.
    return dispatchInBulk(jobs, (plain) => this.#insertTogether(plain), (job) => this.dispatch(job));
  }

  /** One transaction: one commit (one log flush on InnoDB) for the lot, instead of one per job. */
  async #insertTogether(jobs: readonly NewJob[]): Promise<string[]> {
    const { db, dialect } = this.store;
    const now = Date.now();
    const ids = await retryingDeadlocks(() =>
      db.transaction().execute(async (trx) => {
        const stored: string[] = [];
        for (const job of jobs) stored.push(String(await insertGetId(trx.insertInto('jobs').values(toRow(job, now)), dialect)));
        return stored;
      }),
    );
    for (const queue of new Set(jobs.map((job) => job.queue))) this.store.dispatched(queue);
    return ids;
  }

  async stats(queues: readonly string[] = []): Promise<QueueCounts[]> {
    const { db } = this.store;
    const now = Date.now();
    const minute = Math.floor(now / 60_000) - 1;
    await this.store.flushMetrics();
    const [pending, failed, perMinute, recent] = await Promise.all([
      db
        .selectFrom('jobs')
        .select([
          'queue',
          sql<number>`sum(case when available_at <= ${now} then 1 else 0 end)`.as('waiting'),
          sql<number>`sum(case when token is not null and available_at > ${now} then 1 else 0 end)`.as('running'),
          sql<number>`sum(case when token is null and available_at > ${now} then 1 else 0 end)`.as('delayed'),
        ])
        .groupBy('queue')
        .execute(),
      db.selectFrom('failed_jobs').select(['queue', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('queue').execute(),
      db.selectFrom('queue_metrics').select(['queue', 'completed']).where('minute', '=', minute).execute(),
      // Queues that worked in the last hour are listed even when empty now.
      db.selectFrom('queue_metrics').select('queue').distinct().where('minute', '>=', minute - 60).execute(),
    ]);
    const names = new Set([...queues, ...pending.map((r) => r.queue), ...failed.map((r) => r.queue), ...recent.map((r) => r.queue)]);
    return [...names].sort().map((queue) => {
      const p = pending.find((r) => r.queue === queue);
      return {
        queue,
        waiting: Number(p?.waiting ?? 0),
        running: Number(p?.running ?? 0),
        delayed: Number(p?.delayed ?? 0),
        failed: Number(failed.find((r) => r.queue === queue)?.n ?? 0),
        perMinute: Number(perMinute.find((r) => r.queue === queue)?.completed ?? 0),
      };
    });
  }

  async size(): Promise<number> {
    const row = await this.store.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.store.db);
  }
}

function toRow(job: NewJob, now: number) {
  return {
    queue: job.queue,
    name: job.name,
    payload: JSON.stringify(job.payload),
    attempts: 0,
    tries: job.tries,
    backoff: job.backoff ? JSON.stringify(job.backoff) : null,
    timeout_ms: job.timeoutMs,
    unique_key: job.uniqueKey,
    available_at: now + job.delayMs,
    token: null,
    created_at: now,
  };
}
