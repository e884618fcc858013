import type { Generated } from 'kysely';
import type { MigrationSet } from '../../src/database/contract.ts';
import { withId } from '../../src/database/schema.ts';
import type { TaskStatus } from './task.ts';

/** The flow database as queries see it. */
export interface FlowDatabase {
  tasks: {
    id: Generated<number>;
    title: string;
    description: string;
    status: TaskStatus;
    owner_id: number;
    assignee_id: number | null;
    due_date: string | null;
    created_at: string;
    updated_at: string;
  };
}

export const flowMigrations: MigrationSet = {
  '2026_11_22_0001_create_tasks': {
    async up(db, ctx) {
      // `description` has no SQL default: MySQL cannot default a TEXT column; the store always writes one.
      await withId(db.schema.createTable('tasks'), ctx)
        .addColumn('title', 'varchar(200)', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('todo'))
        .addColumn('owner_id', 'integer', (c) => c.notNull())
        .addColumn('assignee_id', 'integer')
        .addColumn('due_date', 'varchar(10)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tasks_status').on('tasks').column('status').execute();
      await db.schema.createIndex('tasks_owner_id').on('tasks').column('owner_id').execute();
      await db.schema.createIndex('tasks_assignee_id').on('tasks').column('assignee_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('tasks').execute();
    },
  },
};
