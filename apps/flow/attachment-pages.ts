import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import { verifyCsrfToken } from '../../src/http/csrf.ts';
import { HttpError, notFound } from '../../src/http/errors.ts';
import { setFlash, setFlashError } from '../../src/http/flash.ts';
import { Id, IdParams } from '../../src/http/params.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { deleteAttachmentObjects } from './attachment-files.ts';
import { storeUpload } from './attachment-upload.ts';
import { AttachmentStore } from './attachments-store.ts';
import { taskForChange } from './task-access.ts';
import { quote, TaskActivity } from './task-activity.ts';
import { TaskStore } from './tasks-store.ts';

const AttachmentParams = Type.Object({ id: Id, attachmentId: Id });
const DeleteForm = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });

/**
 * The task page's file forms: upload (multipart, so its `_csrf` field is checked here, before a
 * byte of the file is stored) and delete. Both land back on the task page with a notice; a refused
 * file (too large, a type not allowed, empty) is a notice too, not an error page.
 */
export async function attachmentPages(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const tasks = TaskStore.of(ctx.services);
  const attachments = AttachmentStore.of(ctx.services);
  const activity = TaskActivity.of(ctx.services);

  app.post('/tasks/:id/attachments', { schema: { params: IdParams }, config: { csrf: 'multipart-field' } }, async (request, reply) => {
    const { principal, task } = await taskForChange(ctx, request, tasks, request.params.id, 'update');
    if (!request.isMultipart()) throw new HttpError(415, 'unsupported_media_type', 'Send the form as multipart/form-data.');
    const part = await request.file();
    // The form puts `_csrf` before the file, so it has arrived by now (a script may send the header instead).
    const field = part?.fields._csrf;
    const token = field && !Array.isArray(field) && field.type === 'field' ? String(field.value) : undefined;
    if (request.headers['x-csrf-token'] === undefined && request.headers['x-xsrf-token'] === undefined) {
      try {
        verifyCsrfToken(request, token);
      } catch (error) {
        part?.file.resume();
        throw error;
      }
    }
    try {
      const attachment = await storeUpload(ctx.services, principal, task, part);
      await activity.record(task.id, principal.id, [`attached ${quote(attachment.filename)}`]);
      setFlash(ctx, request, `Uploaded ${attachment.filename}.`);
    } catch (error) {
      if (!(error instanceof HttpError) || error.statusCode === 404 || error.statusCode === 403) throw error;
      setFlashError(ctx, request, `Not uploaded: ${error.message}`);
    }
    return reply.redirect(`/tasks/${task.id}#attachments`, 303);
  });

  app.post('/tasks/:id/attachments/:attachmentId/delete', { schema: { params: AttachmentParams, body: DeleteForm } }, async (request, reply) => {
    const { principal, task } = await taskForChange(ctx, request, tasks, request.params.id, 'update');
    const attachment = await attachments.find(request.params.attachmentId);
    if (!attachment || attachment.taskId !== task.id) throw notFound('Attachment');
    if (await attachments.delete(attachment.id)) {
      await deleteAttachmentObjects(ctx.services, attachment);
      await activity.record(task.id, principal.id, [`removed ${quote(attachment.filename)}`]);
    }
    setFlash(ctx, request, `Deleted ${attachment.filename}.`);
    return reply.redirect(`/tasks/${task.id}#attachments`, 303);
  });
}
