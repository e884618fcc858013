import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { retryingDeadlocks } from '../database/errors.ts';
import type { JobSession, JobSource, JsonValue, ReservedJob } from './contract.ts';
import type { QueueDatabase } from './database-schema.ts';
import type { DatabaseQueueStore } from './database-store.ts';

type JobRow = Selectable<QueueDatabase['jobs']>;

/**
 * Jobs taken from the `jobs` table. Workers reserve with `FOR UPDATE SKIP LOCKED` on
 * MySQL/MariaDB and PostgreSQL, so they never wait on each other's rows; SQLite runs one
 * writer at a time, so one UPDATE … RETURNING is atomic. The store has to be polled: a
 * session waits for the poll interval, or less when this process dispatches to its queues.
 */
export class DatabaseJobSource implements JobSource {
  constructor(private readonly store: DatabaseQueueStore) {}

  open(queues: readonly string[]): JobSession {
    return new DatabaseSession(this.store, queues);
  }
}

/** One token for a consumer's reservations: its heartbeat and acks touch only its own rows. */
class DatabaseSession implements JobSession {
  readonly groupsAcks = true;
  readonly #token = randomUUID();
  readonly #db: Kysely<QueueDatabase>;
  #wake: (() => void) | undefined;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly store: DatabaseQueueStore,
    queues: readonly string[],
  ) {
    this.#db = store.db;
    this.#unsubscribe = store.onDispatch((queue) => {
      if (queues.includes(queue)) this.#wake?.();
    });
  }

  get retryAfterMs(): number {
    return this.store.retryAfterMs;
  }

  async reserve(queue: string, limit: number): Promise<ReservedJob[]> {
    const token = this.#token;
    const now = Date.now();
    // ready_at first: it takes the due time that available_at held before this UPDATE (MySQL assigns left to right).
    const changes = { ready_at: sql<number>`available_at`, token, available_at: now + this.store.retryAfterMs, attempts: sql<number>`attempts + 1` };
    const due = (db: Kysely<QueueDatabase>) =>
      db.selectFrom('jobs').where('queue', '=', queue).where('available_at', '<=', now).orderBy('available_at').orderBy('id').limit(limit);
    let rows: JobRow[];
    if (this.store.dialect === 'mysql') {
      // MySQL has no UPDATE … RETURNING: lock the rows, then mark them, in one transaction.
      rows = await retryingDeadlocks(() => this.#db.transaction().execute(async (trx) => {
        const locked = await due(trx).selectAll().forUpdate().skipLocked().execute();
        if (locked.length === 0) return [];
        const ids = locked.map((r) => r.id);
        await trx.updateTable('jobs').set(changes).where('id', 'in', ids).execute();
        return locked.map((r) => ({ ...r, attempts: r.attempts + 1, token, ready_at: r.available_at }));
      }));
    } else {
      const ids = this.store.dialect === 'pgsql' ? due(this.#db).select('id').forUpdate().skipLocked() : due(this.#db).select('id');
      rows = await retryingDeadlocks(() => this.#db.updateTable('jobs').set(changes).where('id', 'in', ids).returningAll().execute());
    }
    return rows.sort((a, b) => a.id - b.id).map(toReserved);
  }

  /** The rows say nothing about which reservations were lost: a lost one simply is not ours anymore. */
  async extend(jobs: readonly ReservedJob[]): Promise<readonly string[]> {
    if (jobs.length === 0) return [];
    await this.#db
      .updateTable('jobs')
      .set({ available_at: Date.now() + this.store.retryAfterMs })
      .where('token', '=', this.#token)
      .where('id', 'in', jobs.map((j) => Number(j.id)))
      .execute();
    return [];
  }

  async complete(jobs: readonly ReservedJob[]): Promise<undefined> {
    if (jobs.length === 0) return undefined;
    await retryingDeadlocks(() => this.#db.deleteFrom('jobs').where('token', '=', this.#token).where('id', 'in', jobs.map((j) => Number(j.id))).execute());
    for (const job of jobs) this.store.count(job.queue, 'completed');
    return undefined;
  }

  async release(job: ReservedJob, delayMs: number): Promise<void> {
    await this.#db
      .updateTable('jobs')
      .set({ token: null, available_at: Date.now() + delayMs })
      .where('token', '=', this.#token)
      .where('id', '=', Number(job.id))
      .execute();
  }

  async handBack(jobs: readonly ReservedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    // Not the job's fault: the delivery does not count as an attempt.
    await this.#db
      .updateTable('jobs')
      .set({ token: null, available_at: Date.now(), attempts: sql<number>`attempts - 1` })
      .where('token', '=', this.#token)
      .where('id', 'in', jobs.map((j) => Number(j.id)))
      .execute();
  }

  async fail(job: ReservedJob, error: string): Promise<void> {
    await retryingDeadlocks(() => this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('jobs').selectAll().where('id', '=', Number(job.id)).where('token', '=', this.#token).executeTakeFirst();
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
    this.store.count(job.queue, 'failed');
  }

  /** Sleeps the poll interval, unless this process dispatches to one of the session's queues first (or lookAgain). */
  waitForJobs(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      this.#wake = wake;
      const session = this;
      function done() {
        clearTimeout(timer);
        if (session.#wake === wake) session.#wake = undefined;
        resolve();
      }
    });
  }

  /** Not a sign of new work, but polling then (as often as jobs finish) finds jobs of other processes sooner than the interval. */
  lookAgain(): void {
    this.#wake?.();
  }

  interrupt(): void {
    this.#wake?.();
  }

  async close(): Promise<void> {
    this.#unsubscribe();
  }
}

function toReserved(row: JobRow): ReservedJob {
  return {
    id: String(row.id),
    name: row.name,
    queue: row.queue,
    payload: JSON.parse(row.payload) as JsonValue,
    attempt: row.attempts,
    // Set by the reservation itself (the fallback only satisfies the column type); pg returns bigint columns as strings.
    readyAt: Number(row.ready_at ?? row.created_at),
    tries: row.tries,
    backoff: row.backoff ? (JSON.parse(row.backoff) as ReservedJob['backoff']) : null,
    timeoutMs: row.timeout_ms,
    uniqueKey: row.unique_key,
  };
}
