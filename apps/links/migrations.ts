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
};
