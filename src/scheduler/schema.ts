import type { Generated } from 'kysely';
import type { MigrationSet } from '../database/contract.ts';
import { withId } from '../database/schema.ts';

/**
 * How one tick of a task ended. `running` while it runs (a row left `running` means the
 * node died mid-run); `skipped-overlap` when the previous run was still going.
 */
export type ScheduleRunStatus = 'running' | 'ok' | 'failed' | 'skipped-overlap';

/** The scheduler's bookkeeping in the `platform` database, as queries see it. */
export interface ScheduleDatabase {
  schedule_runs: {
    id: Generated<number>;
    task: string;
    /** The tick this run belongs to, ISO-8601 UTC (`2026-11-22T10:00:00.000Z`); a manual run's is its start. */
    tick: string;
    /** `hostname:pid` of the scheduler that ran it. */
    node: string;
    started_at: string;
    finished_at: string | null;
    status: ScheduleRunStatus;
    error: string | null;
  };
}

export const scheduleMigrations: MigrationSet = {
  '2026_11_23_0001_create_schedule_runs': {
    async up(db, ctx) {
      await withId(db.schema.createTable('schedule_runs'), ctx)
        .addColumn('task', 'varchar(100)', (c) => c.notNull())
        .addColumn('tick', 'varchar(32)', (c) => c.notNull())
        .addColumn('node', 'varchar(255)', (c) => c.notNull())
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('finished_at', 'varchar(32)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      // One row per task and tick, whichever node ran it: the last line of defence against a
      // tick running twice, and the index `schedule:list` reads the last run through.
      await db.schema.createIndex('schedule_runs_task_tick_unique').on('schedule_runs').columns(['task', 'tick']).unique().execute();
      // Pruning old rows.
      await db.schema.createIndex('schedule_runs_started_at').on('schedule_runs').column('started_at').execute();
    },
    async down(db) {
      await db.schema.dropTable('schedule_runs').execute();
    },
  },
};
