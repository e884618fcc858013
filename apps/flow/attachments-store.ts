import type { Selectable } from 'kysely';
import type { DatabaseConnection } from '../../src/database/contract.ts';
import { insertGetId, now } from '../../src/database/schema.ts';
import type { Services } from '../../src/platform/services.ts';
import type { Attachment } from './attachment.ts';
import type { AttachmentDatabase } from './attachment-migrations.ts';

export type NewAttachment = Omit<Attachment, 'id' | 'createdAt' | 'thumbnailKey'>;

/** Queries on the `task_attachments` table of the flow database. */
export class AttachmentStore {
  constructor(private readonly connection: DatabaseConnection<AttachmentDatabase>) {}

  static of(services: Services): AttachmentStore {
    return new AttachmentStore(services.databases.get<AttachmentDatabase>('flow'));
  }

  async create(input: NewAttachment): Promise<Attachment> {
    const at = now();
    const id = await insertGetId(
      this.connection.db.insertInto('task_attachments').values({
        task_id: input.taskId,
        filename: input.filename,
        content_type: input.contentType,
        size: input.size,
        storage_key: input.storageKey,
        thumbnail_key: null,
        uploaded_by: input.uploadedBy,
        created_at: at,
      }),
      this.connection.dialect,
    );
    return { id, ...input, thumbnailKey: null, createdAt: at };
  }

  /** A task's attachments, oldest first. */
  async listForTask(taskId: number): Promise<Attachment[]> {
    const rows = await this.connection.db.selectFrom('task_attachments').selectAll().where('task_id', '=', taskId).orderBy('id').execute();
    return rows.map(toAttachment);
  }

  /** The attachments of several tasks (one board page), by task id. */
  async listForTasks(taskIds: readonly number[]): Promise<Map<number, Attachment[]>> {
    const byTask = new Map<number, Attachment[]>();
    if (taskIds.length === 0) return byTask;
    const rows = await this.connection.db.selectFrom('task_attachments').selectAll().where('task_id', 'in', [...taskIds]).orderBy('id').execute();
    for (const attachment of rows.map(toAttachment)) byTask.set(attachment.taskId, [...(byTask.get(attachment.taskId) ?? []), attachment]);
    return byTask;
  }

  async find(id: number): Promise<Attachment | undefined> {
    const row = await this.connection.db.selectFrom('task_attachments').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAttachment(row);
  }

  /** Records the thumbnail; false when the attachment is gone (the job then removes what it wrote). */
  async setThumbnail(id: number, key: string): Promise<boolean> {
    const result = await this.connection.db.updateTable('task_attachments').set({ thumbnail_key: key }).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.connection.db.deleteFrom('task_attachments').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes a task's attachment rows and returns them (their objects are the caller's to delete). */
  async deleteForTask(taskId: number): Promise<Attachment[]> {
    const rows = await this.listForTask(taskId);
    if (rows.length > 0) await this.connection.db.deleteFrom('task_attachments').where('task_id', '=', taskId).execute();
    return rows;
  }
}

function toAttachment(row: Selectable<AttachmentDatabase['task_attachments']>): Attachment {
  return {
    id: Number(row.id),
    taskId: Number(row.task_id),
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    storageKey: row.storage_key,
    thumbnailKey: row.thumbnail_key,
    uploadedBy: Number(row.uploaded_by),
    createdAt: row.created_at,
  };
}
