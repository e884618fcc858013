import { EventEmitter } from 'node:events';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DatabaseConnection, SqlDialect } from '../database/contract.ts';
import { isUniqueViolation, retryingDeadlocks } from '../database/errors.ts';
import { insertGetId } from '../database/schema.ts';
import type {
  ConsumeOptions,
  Consumer,
  DispatchResult,
  FailedJob,
  JobProcessor,
  JsonValue,
  NewJob,
  QueueCounts,
  QueueDriver,
  ReservedJob,
} from './contract.ts';
import { dispatchInBulk } from './bulk.ts';
import { PollingConsumer, type JobStore } from './polling-consumer.ts';
import type { QueueDatabase } from './database-schema.ts';

type JobRow = Selectable<QueueDatabase['jobs']>;
const METRICS_FLUSH_MS = 5_000;

/**
 * Jobs in the platform database (Laravel's database queue). Workers reserve with
 * `FOR UPDATE SKIP LOCKED` on MySQL/MariaDB and PostgreSQL, so they never wait on each
 * other's rows; SQLite runs one writer at a time, so one UPDATE … RETURNING is atomic.
 */
export class DatabaseQueueDriver implements QueueDriver, JobStore {
  readonly driver = 'database';
  readonly #db: Kysely<QueueDatabase>;
  readonly #dialect: SqlDialect;
  readonly #retryAfterMs: number;
  /** Wakes this process's consumers at once when it dispatches (`marg start`), instead of at their next poll. */
  readonly #dispatched = new EventEmitter();
  readonly #metrics = new Map<string, { completed: number; failed: number }>();
  #metricsTimer: NodeJS.Timeout | undefined;

  constructor(connection: DatabaseConnection<unknown>, options: { retryAfterMs: number }) {
    this.#db = connection.db as Kysely<QueueDatabase>;
    this.#dialect = connection.dialect;
    this.#retryAfterMs = options.retryAfterMs;
    this.#dispatched.setMaxListeners(0);
  }

  get retryAfterMs(): number {
    return this.#retryAfterMs;
  }

  async dispatch(job: NewJob): Promise<DispatchResult> {
    const row = toRow(job, Date.now());
    try {
      const id = await retryingDeadlocks(() => insertGetId(this.#db.insertInto('jobs').values(row), this.#dialect));
      this.#dispatched.emit('job', job.queue);
      return { id: String(id), duplicate: false };
    } catch (error) {
      if (job.uniqueKey === null || !isUniqueViolation(error)) throw error;
      const existing = await this.#db.selectFrom('jobs').select('id').where('unique_key', '=', job.uniqueKey).executeTakeFirst();
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
    const now = Date.now();
    const ids = await retryingDeadlocks(() =>
      this.#db.transaction().execute(async (trx) => {
        const stored: string[] = [];
        for (const job of jobs) stored.push(String(await insertGetId(trx.insertInto('jobs').values(toRow(job, now)), this.#dialect)));
        return stored;
      }),
    );
    for (const queue of new Set(jobs.map((job) => job.queue))) this.#dispatched.emit('job', queue);
    return ids;
  }

  consume(processor: JobProcessor, options: ConsumeOptions): Consumer {
    return new PollingConsumer(this, processor, options, this.#dispatched);
  }

  // ── JobStore: what the polling consumer calls ──

  async reserve(queue: string, limit: number, token: string): Promise<ReservedJob[]> {
    const now = Date.now();
    const changes = { token, available_at: now + this.#retryAfterMs, attempts: sql<number>`attempts + 1` };
    const due = (db: Kysely<QueueDatabase>) =>
      db.selectFrom('jobs').where('queue', '=', queue).where('available_at', '<=', now).orderBy('available_at').orderBy('id').limit(limit);
    let rows: JobRow[];
    if (this.#dialect === 'mysql') {
      // MySQL has no UPDATE … RETURNING: lock the rows, then mark them, in one transaction.
      rows = await retryingDeadlocks(() => this.#db.transaction().execute(async (trx) => {
        const locked = await due(trx).selectAll().forUpdate().skipLocked().execute();
        if (locked.length === 0) return [];
        const ids = locked.map((r) => r.id);
        await trx.updateTable('jobs').set(changes).where('id', 'in', ids).execute();
        return locked.map((r) => ({ ...r, attempts: r.attempts + 1, token }));
      }));
    } else {
      const ids = this.#dialect === 'pgsql' ? due(this.#db).select('id').forUpdate().skipLocked() : due(this.#db).select('id');
      rows = await retryingDeadlocks(() => this.#db.updateTable('jobs').set(changes).where('id', 'in', ids).returningAll().execute());
    }
    return rows.sort((a, b) => a.id - b.id).map(toReserved);
  }

  async extend(token: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable('jobs')
      .set({ available_at: Date.now() + this.#retryAfterMs })
      .where('token', '=', token)
      .where('id', 'in', ids.map(Number))
      .execute();
  }

  async complete(token: string, jobs: readonly ReservedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await retryingDeadlocks(() => this.#db.deleteFrom('jobs').where('token', '=', token).where('id', 'in', jobs.map((j) => Number(j.id))).execute());
    for (const job of jobs) this.#count(job.queue, 'completed');
  }

  async release(token: string, job: ReservedJob, delayMs: number): Promise<void> {
    await this.#db
      .updateTable('jobs')
      .set({ token: null, available_at: Date.now() + delayMs })
      .where('token', '=', token)
      .where('id', '=', Number(job.id))
      .execute();
  }

  async handBack(token: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    // Not the job's fault: the delivery does not count as an attempt.
    await this.#db
      .updateTable('jobs')
      .set({ token: null, available_at: Date.now(), attempts: sql<number>`attempts - 1` })
      .where('token', '=', token)
      .where('id', 'in', ids.map(Number))
      .execute();
  }

  async fail(token: string, job: ReservedJob, error: string): Promise<void> {
    await retryingDeadlocks(() => this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('jobs').selectAll().where('id', '=', Number(job.id)).where('token', '=', token).executeTakeFirst();
      // Another worker holds it now (our reservation expired): its outcome will count.
      if (!row) return;
      await trx
        .insertInto('failed_jobs')
        .values({
          queue: row.queue,
          name: row.name,
          payload: row.payload,
          attempts: row.attempts,
          tries: row.tries,
          backoff: row.backoff,
          timeout_ms: row.timeout_ms,
          error,
          failed_at: Date.now(),
        })
        .execute();
      await trx.deleteFrom('jobs').where('id', '=', row.id).execute();
    }));
    this.#count(job.queue, 'failed');
  }

  // ── Operators ──

  async stats(queues: readonly string[] = []): Promise<QueueCounts[]> {
    const now = Date.now();
    const minute = Math.floor(now / 60_000) - 1;
    await this.#flushMetrics();
    const [pending, failed, perMinute, recent] = await Promise.all([
      this.#db
        .selectFrom('jobs')
        .select([
          'queue',
          sql<number>`sum(case when available_at <= ${now} then 1 else 0 end)`.as('waiting'),
          sql<number>`sum(case when token is not null and available_at > ${now} then 1 else 0 end)`.as('running'),
          sql<number>`sum(case when token is null and available_at > ${now} then 1 else 0 end)`.as('delayed'),
        ])
        .groupBy('queue')
        .execute(),
      this.#db.selectFrom('failed_jobs').select(['queue', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('queue').execute(),
      this.#db.selectFrom('queue_metrics').select(['queue', 'completed']).where('minute', '=', minute).execute(),
      // Queues that worked in the last hour are listed even when empty now.
      this.#db.selectFrom('queue_metrics').select('queue').distinct().where('minute', '>=', minute - 60).execute(),
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
    const row = await this.#db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async failed(limit: number): Promise<FailedJob[]> {
    const rows = await this.#db.selectFrom('failed_jobs').selectAll().orderBy('id', 'desc').limit(limit).execute();
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
    return this.#db.transaction().execute(async (trx) => {
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
      this.#dispatched.emit('job', row.queue);
      return true;
    });
  }

  async retryAll(): Promise<number> {
    let retried = 0;
    for (;;) {
      const ids = await this.#db.selectFrom('failed_jobs').select('id').orderBy('id').limit(500).execute();
      if (ids.length === 0) return retried;
      for (const { id } of ids) if (await this.retry(String(id))) retried += 1;
    }
  }

  async forget(id: string): Promise<boolean> {
    if (!/^\d{1,15}$/.test(id)) return false;
    const result = await this.#db.deleteFrom('failed_jobs').where('id', '=', Number(id)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async flushFailed(queue?: string): Promise<number> {
    let query = this.#db.deleteFrom('failed_jobs');
    if (queue !== undefined) query = query.where('queue', '=', queue);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  }

  async pruneFailed(olderThan: Date): Promise<number> {
    const result = await this.#db.deleteFrom('failed_jobs').where('failed_at', '<', olderThan.getTime()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  async close(): Promise<void> {
    clearTimeout(this.#metricsTimer);
    this.#metricsTimer = undefined;
    await this.#flushMetrics().catch(() => {});
  }

  // Completions are counted in memory and written every few seconds: one upsert per queue, not one per job.
  #count(queue: string, outcome: 'completed' | 'failed'): void {
    const counts = this.#metrics.get(queue) ?? { completed: 0, failed: 0 };
    counts[outcome] += 1;
    this.#metrics.set(queue, counts);
    this.#metricsTimer ??= setTimeout(() => {
      this.#metricsTimer = undefined;
      this.#flushMetrics().catch(() => {});
    }, METRICS_FLUSH_MS).unref();
  }

  async #flushMetrics(): Promise<void> {
    if (this.#metrics.size === 0) return;
    const minute = Math.floor(Date.now() / 60_000);
    const rows = [...this.#metrics].map(([queue, c]) => ({ queue, minute, completed: c.completed, failed: c.failed }));
    this.#metrics.clear();
    for (const row of rows) {
      const insert = this.#db.insertInto('queue_metrics').values(row);
      const bump = { completed: sql<number>`queue_metrics.completed + ${row.completed}`, failed: sql<number>`queue_metrics.failed + ${row.failed}` };
      await (this.#dialect === 'mysql'
        ? insert.onDuplicateKeyUpdate({ completed: sql<number>`completed + ${row.completed}`, failed: sql<number>`failed + ${row.failed}` })
        : insert.onConflict((oc) => oc.columns(['queue', 'minute']).doUpdateSet(bump))
      ).execute();
    }
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

function toReserved(row: JobRow): ReservedJob {
  return {
    id: String(row.id),
    name: row.name,
    queue: row.queue,
    payload: JSON.parse(row.payload) as JsonValue,
    attempt: row.attempts,
    tries: row.tries,
    backoff: row.backoff ? (JSON.parse(row.backoff) as ReservedJob['backoff']) : null,
    timeoutMs: row.timeout_ms,
    uniqueKey: row.unique_key,
  };
}
