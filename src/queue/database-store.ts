import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { DatabaseConnection, SqlDialect } from '../database/contract.ts';
import type { QueueDatabase } from './database-schema.ts';

const METRICS_FLUSH_MS = 5_000;

/**
 * What the database queue's producer, job source and failed-job administration share: the
 * platform database, the reservation length, this process's dispatch signal, and the
 * per-minute completion counts.
 */
export class DatabaseQueueStore {
  readonly db: Kysely<QueueDatabase>;
  readonly dialect: SqlDialect;
  readonly retryAfterMs: number;
  readonly #dispatched = new EventEmitter();
  readonly #metrics = new Map<string, { completed: number; failed: number }>();
  #metricsTimer: NodeJS.Timeout | undefined;

  constructor(connection: DatabaseConnection<unknown>, options: { retryAfterMs: number }) {
    this.db = connection.db as Kysely<QueueDatabase>;
    this.dialect = connection.dialect;
    this.retryAfterMs = options.retryAfterMs;
    this.#dispatched.setMaxListeners(0);
  }

  /** A job was queued on `queue` by this process: its consumers look at once instead of at their next poll (`marg start`). */
  dispatched(queue: string): void {
    this.#dispatched.emit('job', queue);
  }

  /** Calls `listener` for every dispatch of this process; returns the unsubscribe. */
  onDispatch(listener: (queue: string) => void): () => void {
    this.#dispatched.on('job', listener);
    return () => this.#dispatched.off('job', listener);
  }

  // Completions are counted in memory and written every few seconds: one upsert per queue, not one per job.
  count(queue: string, outcome: 'completed' | 'failed'): void {
    const counts = this.#metrics.get(queue) ?? { completed: 0, failed: 0 };
    counts[outcome] += 1;
    this.#metrics.set(queue, counts);
    this.#metricsTimer ??= setTimeout(() => {
      this.#metricsTimer = undefined;
      this.flushMetrics().catch(() => {});
    }, METRICS_FLUSH_MS).unref();
  }

  async flushMetrics(): Promise<void> {
    if (this.#metrics.size === 0) return;
    const minute = Math.floor(Date.now() / 60_000);
    const rows = [...this.#metrics].map(([queue, c]) => ({ queue, minute, completed: c.completed, failed: c.failed }));
    this.#metrics.clear();
    for (const row of rows) {
      const insert = this.db.insertInto('queue_metrics').values(row);
      const bump = { completed: sql<number>`queue_metrics.completed + ${row.completed}`, failed: sql<number>`queue_metrics.failed + ${row.failed}` };
      await (this.dialect === 'mysql'
        ? insert.onDuplicateKeyUpdate({ completed: sql<number>`completed + ${row.completed}`, failed: sql<number>`failed + ${row.failed}` })
        : insert.onConflict((oc) => oc.columns(['queue', 'minute']).doUpdateSet(bump))
      ).execute();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.#metricsTimer);
    this.#metricsTimer = undefined;
    await this.flushMetrics().catch(() => {});
  }
}
