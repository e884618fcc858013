import type { Generated } from 'kysely';
import type { MigrationSet } from '../database/contract.ts';
import { withId } from '../database/schema.ts';

/**
 * The database queue's tables in the platform database. `jobs` holds only pending work
 * (waiting, delayed, reserved); a failed job moves to `failed_jobs`, as in Laravel.
 * Times are epoch milliseconds: reservations compare them on every poll.
 */
export interface QueueDatabase {
  jobs: {
    id: Generated<number>;
    queue: string;
    name: string;
    payload: string;
    /** Deliveries so far. */
    attempts: number;
    tries: number | null;
    backoff: string | null;
    timeout_ms: number | null;
    unique_key: string | null;
    /** Due time; for a reserved job, when its reservation expires. */
    available_at: number;
    /** The reservation's owner; null while waiting or delayed. */
    token: string | null;
    /**
     * The current delivery's due time (the `available_at` it was reserved at), so the worker can
     * report how long it waited; null until the job is first reserved.
     */
    ready_at: number | null;
    created_at: number;
  };
  failed_jobs: {
    id: Generated<number>;
    queue: string;
    name: string;
    payload: string;
    attempts: number;
    tries: number | null;
    backoff: string | null;
    timeout_ms: number | null;
    error: string;
    failed_at: number;
  };
  queue_metrics: {
    queue: string;
    /** Epoch minute (ms / 60000). */
    minute: number;
    completed: number;
    failed: number;
  };
}

export const queueMigrations: MigrationSet = {
  '2026_11_22_0001_create_jobs': {
    async up(db, ctx) {
      await withId(db.schema.createTable('jobs'), ctx)
        .addColumn('queue', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('tries', 'integer')
        .addColumn('backoff', 'varchar(100)')
        .addColumn('timeout_ms', 'integer')
        .addColumn('unique_key', 'varchar(191)', (c) => c.unique())
        .addColumn('available_at', 'bigint', (c) => c.notNull())
        .addColumn('token', 'varchar(36)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // The reserve query walks this index in order and stops at its LIMIT.
      await db.schema.createIndex('jobs_queue_available').on('jobs').columns(['queue', 'available_at', 'id']).execute();
      await db.schema.createIndex('jobs_token').on('jobs').column('token').execute();
      await withId(db.schema.createTable('failed_jobs'), ctx)
        .addColumn('queue', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('tries', 'integer')
        .addColumn('backoff', 'varchar(100)')
        .addColumn('timeout_ms', 'integer')
        .addColumn('error', 'text', (c) => c.notNull())
        .addColumn('failed_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('failed_jobs_failed_at').on('failed_jobs').column('failed_at').execute();
      await db.schema
        .createTable('queue_metrics')
        .addColumn('queue', 'varchar(64)', (c) => c.notNull())
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('completed', 'integer', (c) => c.notNull())
        .addColumn('failed', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('queue_metrics_pk', ['queue', 'minute'])
        .execute();
    },
    async down(db) {
      for (const table of ['queue_metrics', 'failed_jobs', 'jobs']) await db.schema.dropTable(table).execute();
    },
  },
  // Reserving overwrites available_at with the reservation's expiry: the due time it replaces is kept here (queue wait time, issue 18).
  '2026_12_06_0010_jobs_ready_at': {
    async up(db) {
      await db.schema.alterTable('jobs').addColumn('ready_at', 'bigint').execute();
    },
    async down(db) {
      await db.schema.alterTable('jobs').dropColumn('ready_at').execute();
    },
  },
};
