import { sql } from 'kysely';
import type { MigrationSet } from '../../src/database/contract.ts';
import { withId } from '../../src/database/schema.ts';

export const linksMigrations: MigrationSet = {
  '2026_11_22_0001_create_links': {
    async up(db, ctx) {
      // MySQL/MariaDB compare varchar case-insensitively by default; slugs are case-sensitive
      // (base62) everywhere else, so give the column a binary collation there.
      const slugType = ctx.dialect === 'mysql' ? sql`varchar(64) character set ascii collate ascii_bin` : sql`varchar(64)`;
      await withId(db.schema.createTable('links'), ctx)
        .addColumn('slug', slugType, (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('title', 'varchar(200)')
        .addColumn('owner_id', 'integer', (c) => c.notNull())
        .addColumn('clicks', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('links_slug_unique').on('links').column('slug').unique().execute();
      await db.schema.createIndex('links_owner_id').on('links').column('owner_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('links').execute();
    },
  },
  '2026_11_22_0002_create_click_ledger': {
    async up(db) {
      // One row per link per dispatched batch: the batch id makes a redelivered job a no-op.
      await db.schema
        .createTable('link_click_ledger')
        .addColumn('batch_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('link_id', 'integer', (c) => c.notNull())
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('clicks', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('link_click_ledger_pk', ['batch_id', 'link_id'])
        .execute();
      await db.schema.createIndex('link_click_ledger_created_at').on('link_click_ledger').column('created_at').execute();
      await db.schema
        .createTable('link_clicks_daily')
        .addColumn('link_id', 'integer', (c) => c.notNull())
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('clicks', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('link_clicks_daily_pk', ['link_id', 'day'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('link_clicks_daily').execute();
      await db.schema.dropTable('link_click_ledger').execute();
    },
  },
};
