import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import type { Principal } from '../../src/auth/rbac.ts';
import { badRequest, HttpError, notFound } from '../../src/http/errors.ts';
import type { Services } from '../../src/platform/services.ts';
import { ObjectTooLargeError } from '../../src/storage/contract.ts';
import { attachmentKeys, cleanFilename, isImage, sniffType, SNIFF_BYTES, type Attachment } from './attachment.ts';
import { deleteAttachmentObjects, dispatchThumbnail } from './attachment-files.ts';
import { AttachmentStore } from './attachments-store.ts';
import type { Task } from './task.ts';
import { TaskStore } from './tasks-store.ts';
import { peek } from './stream-head.ts';

/** The form field that carries the file. */
export const FILE_FIELD = 'file';

/** The multipart limits both upload routes use: one file, a few small fields (the page form's `_csrf`). */
export function multipartLimits(maxBytes: number) {
  // One byte more than the limit reaches the storage port, which refuses it (413) while streaming.
  return { limits: { fileSize: maxBytes + 1, files: 1, fields: 10, parts: 11, fieldSize: 1024 }, throwFileSizeLimit: false };
}

/**
 * Stores one uploaded part as an attachment of `task` (the API and the task page share it):
 * the bytes go straight to the storage port as they arrive (never whole in memory); a refused
 * type is a 415, a passed limit a 413, a wrong or missing part a 400.
 */
export async function storeUpload(services: Services, principal: Principal, task: Task, part: MultipartFile | undefined): Promise<Attachment> {
  const { storage } = services;
  const maxBytes = services.config.attachments.maxBytes;
  const attachments = AttachmentStore.of(services);
  if (!part) throw badRequest(`The form has no file: send it in a part named "${FILE_FIELD}".`);
  if (part.fieldname !== FILE_FIELD) {
    part.file.resume();
    throw badRequest(`The file must be in a part named "${FILE_FIELD}" (got "${part.fieldname}").`);
  }
  const storageKey = attachmentKeys(randomUUID()).original;
  let stored: { contentType: string; size: number };
  try {
    stored = await receive(part.file, part.mimetype, storageKey);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // busboy fails the part when the body ends before the part's boundary.
    if (part.file.errored) throw badRequest('The upload ended before the file was complete.');
    throw error;
  }
  let attachment: Attachment;
  try {
    attachment = await attachments.create({
      taskId: task.id,
      filename: cleanFilename(part.filename),
      contentType: stored.contentType,
      size: stored.size,
      storageKey,
      uploadedBy: principal.id,
    });
  } catch (error) {
    await storage.delete(storageKey);
    throw error;
  }
  // The task may have been deleted while the file arrived: its attachments went with it, so this one goes too.
  if (!(await TaskStore.of(services).find(task.id))) {
    await attachments.delete(attachment.id);
    await deleteAttachmentObjects(services, attachment);
    throw notFound('Task');
  }
  if (isImage(attachment.contentType)) await dispatchThumbnail(services, attachment.id);
  return attachment;

  /** Checks the file's first bytes, then streams it into storage. */
  async function receive(file: Readable, declared: string, key: string): Promise<{ contentType: string; size: number }> {
    const { head, rest } = await peek(file, SNIFF_BYTES);
    if (head.length === 0) throw badRequest('The file is empty.');
    const sniffed = await sniffType(head, declared);
    if ('problem' in sniffed) {
      rest.resume(); // read and drop the rest, so the answer is not sent while the client still writes
      throw new HttpError(415, 'unsupported_media_type', sniffed.problem);
    }
    try {
      return { contentType: sniffed.type, size: (await storage.putStream(key, rest, { contentType: sniffed.type, maxBytes })).size };
    } catch (error) {
      if (error instanceof ObjectTooLargeError) {
        file.resume();
        throw new HttpError(413, 'payload_too_large', `The file is larger than ${maxBytes} bytes (ATTACHMENT_MAX_BYTES).`);
      }
      throw error;
    }
  }
}
