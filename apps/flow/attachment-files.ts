import type { Services } from '../../src/platform/services.ts';
import { ATTACHMENT_THUMBNAIL_JOB, type Attachment } from './attachment.ts';
import { AttachmentStore } from './attachments-store.ts';

/** The thumbnail's key beside its original (`…/<uuid>/original` → `…/<uuid>/thumb.webp`). */
export function thumbnailKeyOf(storageKey: string): string {
  return storageKey.replace(/\/original$/, '/thumb.webp');
}

/** Removes an attachment's objects: the original and the thumbnail (made or not: a job may be writing it). */
export async function deleteAttachmentObjects(services: Services, attachment: Pick<Attachment, 'storageKey'>): Promise<void> {
  await services.storage.delete(attachment.storageKey);
  await services.storage.delete(thumbnailKeyOf(attachment.storageKey));
}

/** After a task is deleted: its attachment rows, then their objects. */
export async function deleteTaskAttachments(services: Services, taskId: number): Promise<void> {
  const removed = await AttachmentStore.of(services).deleteForTask(taskId);
  for (const attachment of removed) await deleteAttachmentObjects(services, attachment);
}

/** One job per image attachment; a duplicate dispatch while it waits is dropped. */
export async function dispatchThumbnail(services: Services, attachmentId: number): Promise<void> {
  await services.queue.dispatch(
    ATTACHMENT_THUMBNAIL_JOB,
    { attachmentId },
    { tries: 3, backoff: { type: 'exponential', delayMs: 5_000 }, uniqueKey: `${ATTACHMENT_THUMBNAIL_JOB}:${attachmentId}` },
  );
}
