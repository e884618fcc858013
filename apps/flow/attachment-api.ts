import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import contentDisposition from 'content-disposition';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../src/http/app-context.ts';
import { HttpError, notFound } from '../../src/http/errors.ts';
import { Id, IdParams } from '../../src/http/params.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { isImage, toAttachmentJson, type Attachment } from './attachment.ts';
import { deleteAttachmentObjects } from './attachment-files.ts';
import { attachmentPages } from './attachment-pages.ts';
import { FILE_FIELD, multipartLimits, storeUpload } from './attachment-upload.ts';
import { AttachmentStore } from './attachments-store.ts';
import { taskForChange } from './task-access.ts';
import { TaskStore } from './tasks-store.ts';
import { quote, TaskActivity } from './task-activity.ts';

const AttachmentParams = Type.Object({ id: Id, attachmentId: Id });

/**
 * Task attachments (issue 14): `/api/tasks/:id/attachments[/:attachmentId[/thumbnail]]`.
 * Uploading and deleting take what changing the task takes (task-access.ts); listing and
 * downloading what reading it takes. Registered as its own plugin: multipart bodies are parsed
 * only here (the task page's forms too). Storing an upload is attachment-upload.ts. The app
 * serves files back itself rather than by a signed URL, so every download passes the access
 * check and carries Marg's headers (nosniff, Content-Disposition).
 */
export async function attachmentApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const { storage } = ctx.services;
  const tasks = TaskStore.of(ctx.services);
  const attachments = AttachmentStore.of(ctx.services);
  const activity = TaskActivity.of(ctx.services);
  await app.register(multipart, multipartLimits(ctx.services.config.attachments.maxBytes));
  // The task page's upload and delete forms: here, where multipart bodies are parsed.
  await app.register(attachmentPages, { ctx });

  async function attachmentOf(taskId: number, attachmentId: number): Promise<Attachment> {
    const attachment = await attachments.find(attachmentId);
    if (!attachment || attachment.taskId !== taskId) throw notFound('Attachment');
    return attachment;
  }

  app.post('/api/tasks/:id/attachments', { schema: { params: IdParams } }, async (request, reply) => {
    // Before a byte of the body is read: who may change the task, and that it exists.
    const { principal, task } = await taskForChange(ctx, request, tasks, request.params.id, 'update');
    if (!request.isMultipart()) {
      throw new HttpError(415, 'unsupported_media_type', `Send the file as multipart/form-data, in a part named "${FILE_FIELD}".`);
    }
    const attachment = await storeUpload(ctx.services, principal, task, await request.file());
    await activity.record(task.id, principal.id, [`attached ${quote(attachment.filename)}`]);
    return reply.code(201).send(toAttachmentJson(attachment));
  });

  app.get('/api/tasks/:id/attachments', { schema: { params: IdParams } }, async (request) => {
    await ctx.requirePermission(request, 'flow.tasks.read');
    if (!(await tasks.find(request.params.id))) throw notFound('Task');
    return { data: (await attachments.listForTask(request.params.id)).map(toAttachmentJson) };
  });

  app.get('/api/tasks/:id/attachments/:attachmentId', { schema: { params: AttachmentParams } }, async (request, reply) => {
    await ctx.requirePermission(request, 'flow.tasks.read');
    const attachment = await attachmentOf(request.params.id, request.params.attachmentId);
    const object = await storage.getStream(attachment.storageKey);
    if (!object) throw notFound('Attachment file');
    // Images are shown in the page; anything else is saved, never rendered on the flow host.
    return sendFile(reply, object, attachment.filename, isImage(attachment.contentType) ? 'inline' : 'attachment');
  });

  app.get('/api/tasks/:id/attachments/:attachmentId/thumbnail', { schema: { params: AttachmentParams } }, async (request, reply) => {
    await ctx.requirePermission(request, 'flow.tasks.read');
    const attachment = await attachmentOf(request.params.id, request.params.attachmentId);
    if (!isImage(attachment.contentType)) throw notFound('Thumbnail (only images have one)');
    const object = attachment.thumbnailKey ? await storage.getStream(attachment.thumbnailKey) : undefined;
    if (!object) throw new HttpError(404, 'not_found', 'The thumbnail is not made yet: try again in a moment.');
    return sendFile(reply, object, `${attachment.filename.replace(/\.[^.]*$/, '')}.webp`, 'inline');
  });

  app.delete('/api/tasks/:id/attachments/:attachmentId', { schema: { params: AttachmentParams } }, async (request, reply) => {
    const { principal, task } = await taskForChange(ctx, request, tasks, request.params.id, 'update');
    const attachment = await attachmentOf(task.id, request.params.attachmentId);
    // The row first: once it is gone nobody is sent to the objects, and a thumbnail job finds nothing to do.
    if (!(await attachments.delete(attachment.id))) throw notFound('Attachment');
    await deleteAttachmentObjects(ctx.services, attachment);
    await activity.record(task.id, principal.id, [`removed ${quote(attachment.filename)}`]);
    return reply.code(204).send();
  });
}

function sendFile(reply: FastifyReply, object: { body: Readable; contentType: string; size: number }, filename: string, disposition: 'inline' | 'attachment') {
  return reply
    .header('content-type', object.contentType)
    .header('content-length', String(object.size))
    // An ASCII fallback name, so the header stays ASCII; the real name goes in filename* (RFC 6266).
    .header('content-disposition', contentDisposition(filename, { type: disposition, fallback: filename.replace(/[^\x20-\x7e]/g, '?') }))
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, no-cache')
    .send(object.body);
}
