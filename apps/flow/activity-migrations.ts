import type { Generated } from 'kysely';
import type { MigrationSet } from '../../src/database/contract.ts';
import { withId } from '../../src/database/schema.ts';
import type { FlowDatabase } from './migrations.ts';

/** The flow database with each task's history (merged into flow's migrations by apps/flow/index.ts). */
export interface ActivityDatabase extends FlowDatabase {
  task_activity: {
    id: Generated<number>;
    task_id: number;
    /** Who did it (a user id; null when the system did). */
    actor_id: number | null;
    /** What happened, in words for the task page ("changed status from To do to Doing"). */
    summary: string;
    created_at: string;
  };
}

export const activityMigrations: MigrationSet = {
  '2026_12_06_0301_create_task_activity': {
    async up(db, ctx) {
      await withId(db.schema.createTable('task_activity'), ctx)
        .addColumn('task_id', 'integer', (c) => c.notNull())
        .addColumn('actor_id', 'integer')
        .addColumn('summary', 'varchar(500)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('task_activity_task_id').on('task_activity').column('task_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('task_activity').execute();
    },
  },
};
