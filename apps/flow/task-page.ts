import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { notFound } from '../../src/http/errors.ts';
import { setFlash, takeFlash, takeFlashError } from '../../src/http/flash.ts';
import { IdParams } from '../../src/http/params.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { AttachmentStore } from './attachments-store.ts';
import { describeFields, formUserId } from './task-form.ts';
import { Assignees, mayChange, taskForChange } from './task-access.ts';
import { TaskActivity } from './task-activity.ts';
import { type TaskUpdater, updateTask } from './task-update.ts';
import { TaskEvents } from './task-events.ts';
import { checkTaskDraft } from './task-input.ts';
import { confirmDeletePage, taskPage, type TaskDraftValues } from './task-views.ts';
import type { Task } from './task.ts';
import { TaskStore } from './tasks-store.ts';

const USER_OPTIONS = 200;
const ACTIVITY_SHOWN = 50;

// Loosely typed like the board's forms: a bad value re-renders the page with a message (422).
const EditForm = Type.Object(
  {
    title: Type.String({ maxLength: 2000 }),
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
    status: Type.String({ maxLength: 32 }),
    assigneeId: Type.Optional(Type.String({ maxLength: 20 })),
    dueDate: Type.Optional(Type.String({ maxLength: 32 })),
    _csrf: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

/** The task page (`/tasks/:id`): every field, attachments, history; the edit form and the delete confirmation. */
export async function taskPageRoutes(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const store = TaskStore.of(ctx.services);
  const assignees = new Assignees(ctx.services);
  const events = new TaskEvents(ctx.services);
  const updater: TaskUpdater = { services: ctx.services, store, events };

  app.get('/tasks/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, 'flow.tasks.read');
    const task = await store.find(request.params.id);
    if (!task) throw notFound('Task');
    const error = takeFlashError(request);
    return render(request, reply, principal, task, { flash: takeFlash(request), ...(error ? { error } : {}) });
  });

  app.post('/tasks/:id', { schema: { params: IdParams, body: EditForm } }, async (request, reply) => {
    const { principal, task } = await taskForChange(ctx, request, store, request.params.id, 'update');
    const form = request.body;
    const draft: TaskDraftValues = {
      title: form.title,
      description: form.description ?? '',
      status: form.status,
      assigneeId: form.assigneeId ?? '',
      dueDate: form.dueDate ?? '',
    };
    const { changes, fields } = await checkTaskDraft(
      { title: draft.title, description: draft.description, status: draft.status, assigneeId: formUserId(draft.assigneeId), dueDate: draft.dueDate || null },
      assignees,
    );
    if (Object.keys(fields).length > 0) return render(request, reply, principal, task, { error: describeFields(fields), draft, status: 422 });
    const updated = await updateTask(updater, principal.id, task, changes);
    if (!updated) throw notFound('Task');
    setFlash(ctx, request, 'Saved.');
    return reply.redirect(`/tasks/${task.id}`, 303);
  });

  // The confirmation step of a delete, as a page: it works without a script and says what goes with the task.
  app.get('/tasks/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const { task } = await taskForChange(ctx, request, store, request.params.id, 'delete');
    const files = await AttachmentStore.of(ctx.services).listForTask(task.id);
    return ctx.page(request, reply, { title: `Delete ${task.title}`, body: confirmDeletePage(task, files.length, ctx.session(request).csrfToken) });
  });

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    task: Task,
    state: { flash?: string | undefined; error?: string; draft?: TaskDraftValues; status?: number },
  ): Promise<FastifyReply> {
    const mayUpdate = mayChange(principal, task, 'update');
    const [attachments, activity, people] = await Promise.all([
      AttachmentStore.of(ctx.services).listForTask(task.id),
      TaskActivity.of(ctx.services).list(task.id, ACTIVITY_SHOWN),
      mayUpdate ? assignees.list(USER_OPTIONS) : Promise.resolve([]),
    ]);
    const names = new Map<number, string>(people.map((u) => [u.id, u.name]));
    const ids = new Set([task.ownerId, ...(task.assigneeId === null ? [] : [task.assigneeId]), ...activity.flatMap((e) => (e.actorId === null ? [] : [e.actorId]))]);
    for (const id of ids) {
      if (names.has(id)) continue;
      const user = await ctx.services.users.find(id);
      names.set(id, user?.name ?? `deleted user #${id}`);
    }
    const body = taskPage({
      task,
      ownerName: names.get(task.ownerId)!,
      assigneeName: task.assigneeId === null ? null : names.get(task.assigneeId)!,
      attachments,
      activity: activity.map((e) => ({ ...e, actorName: e.actorId === null ? 'Marg' : names.get(e.actorId)! })),
      users: people.sort((a, b) => a.name.localeCompare(b.name)),
      csrf: ctx.session(request).csrfToken,
      mayUpdate,
      mayDelete: mayChange(principal, task, 'delete'),
      maxUploadBytes: ctx.services.config.attachments.maxBytes,
      flash: state.flash,
      error: state.error,
      draft: state.draft,
    });
    return ctx.page(request, reply, { title: task.title, body, ...(state.status ? { status: state.status } : {}) });
  }
}
