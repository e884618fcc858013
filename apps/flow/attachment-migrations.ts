import type { Generated } from 'kysely';
import type { MigrationSet } from '../../src/database/contract.ts';
import { withId } from '../../src/database/schema.ts';
import type { FlowDatabase } from './migrations.ts';

/** The flow database with task attachments (merged into flow's migrations by apps/flow/index.ts). */
export interface AttachmentDatabase extends FlowDatabase {
  task_attachments: {
    id: Generated<number>;
    task_id: number;
    /** The uploaded file's name, cleaned (attachment.ts cleanFilename); shown and sent back in Content-Disposition. */
    filename: string;
    /** What the bytes were found to be (the sniffed type), never just what the client said. */
    content_type: string;
    /** Bytes; bigint, since ATTACHMENT_MAX_BYTES may go past 2 GiB. */
    size: number | string;
    /** The object in storage (`flow/attachments/<uuid>/original`). */
    storage_key: string;
    /** The thumbnail object once the worker has made it (images only). */
    thumbnail_key: string | null;
    uploaded_by: number;
    created_at: string;
  };
}

export const attachmentMigrations: MigrationSet = {
  '2026_12_06_0201_create_task_attachments': {
    async up(db, ctx) {
      await withId(db.schema.createTable('task_attachments'), ctx)
        .addColumn('task_id', 'integer', (c) => c.notNull())
        .addColumn('filename', 'varchar(255)', (c) => c.notNull())
        .addColumn('content_type', 'varchar(100)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('storage_key', 'varchar(255)', (c) => c.notNull())
        .addColumn('thumbnail_key', 'varchar(255)')
        .addColumn('uploaded_by', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('task_attachments_task_id').on('task_attachments').column('task_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('task_attachments').execute();
    },
  },
};
