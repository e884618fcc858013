import type { Generated } from 'kysely';
import type { MigrationSet } from '../../src/database/contract.ts';
import { exactVarchar, withId } from '../../src/database/schema.ts';
import type { FlowDatabase } from './migrations.ts';

/** The flow database with the daily report's table (merged into flowMigrations by apps/flow/index.ts). */
export interface ReportDatabase extends FlowDatabase {
  report_subscriptions: {
    id: Generated<number>;
    user_id: number;
    /** The address at subscription time; the job mails the user's current address. */
    email: string;
    created_at: string;
    /** The last report date (`YYYY-MM-DD`) this subscriber was sent: a retried job skips them. */
    last_sent_on: string | null;
  };
}

export const reportMigrations: MigrationSet = {
  '2026_11_22_0101_create_report_subscriptions': {
    async up(db, ctx) {
      await withId(db.schema.createTable('report_subscriptions'), ctx)
        .addColumn('user_id', 'integer', (c) => c.notNull().unique())
        .addColumn('email', exactVarchar(255, ctx), (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_sent_on', 'varchar(10)')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('report_subscriptions').execute();
    },
  },
};
