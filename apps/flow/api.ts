import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import { badRequest, notFound, unprocessable } from '../../src/http/errors.ts';
import { decodeCursor, page, PageQuery } from '../../src/http/pagination.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { Id, IdParams, MAX_ID } from '../../src/http/params.ts';
import { DESCRIPTION_MAX, TaskStatusSchema, TITLE_MAX } from './task.ts';
import { Assignees, taskForChange } from './task-access.ts';
import { checkTaskDraft, type TaskDraft } from './task-input.ts';
import { toTaskJson } from './task-json.ts';
import { TaskEvents } from './task-events.ts';
import { TaskStore } from './tasks-store.ts';
import { deleteTaskAttachments } from './attachment-files.ts';
import { TaskActivity } from './task-activity.ts';
import { type TaskUpdater, updateTask } from './task-update.ts';

const UserId = Id;
// The format is checked here (400); whether the day exists is checked after (422).
const DueDate = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });

const ListQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(TaskStatusSchema),
  assignee: Type.Optional(Type.String({ pattern: '^(me|[1-9][0-9]{0,9})$' })),
});

const fields = {
  title: Type.String({ maxLength: TITLE_MAX }),
  description: Type.String({ maxLength: DESCRIPTION_MAX }),
  status: TaskStatusSchema,
  assigneeId: Type.Union([UserId, Type.Null()]),
  dueDate: Type.Union([DueDate, Type.Null()]),
};
const CreateBody = Type.Object(
  {
    title: fields.title,
    description: Type.Optional(fields.description),
    status: Type.Optional(fields.status),
    assigneeId: Type.Optional(fields.assigneeId),
    dueDate: Type.Optional(fields.dueDate),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Partial(Type.Object(fields), { additionalProperties: false });

/** The tasks JSON API (DESIGN §4): `/api/tasks[/:id]`. */
export async function taskApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const store = TaskStore.of(ctx.services);
  const assignees = new Assignees(ctx.services);
  const events = new TaskEvents(ctx.services);
  const updater: TaskUpdater = { services: ctx.services, store, events };
  const activity = TaskActivity.of(ctx.services);

  app.get('/api/tasks', { schema: { querystring: ListQuery } }, async (request) => {
    const principal = await ctx.requirePermission(request, 'flow.tasks.read');
    const { limit, cursor, status, assignee } = request.query;
    const before = decodeCursor(cursor);
    const assigneeId = assignee === undefined ? undefined : assignee === 'me' ? principal.id : Number(assignee);
    if (assigneeId !== undefined && assigneeId > MAX_ID) throw badRequest('No such user id.', { assignee: 'is not a valid user id' });
    const rows = await store.list(limit + 1, { before, status, assigneeId });
    return page(rows, limit, toTaskJson);
  });

  app.post('/api/tasks', { schema: { body: CreateBody } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, 'flow.tasks.create');
    const { changes } = await checked(assignees, request.body);
    const task = await store.create({
      title: changes.title ?? '',
      description: changes.description ?? '',
      status: changes.status ?? 'todo',
      ownerId: principal.id,
      assigneeId: changes.assigneeId ?? null,
      dueDate: changes.dueDate ?? null,
    });
    await activity.record(task.id, principal.id, ['created the task']);
    await events.created(task);
    return reply.code(201).send(toTaskJson(task));
  });

  app.get('/api/tasks/:id', { schema: { params: IdParams } }, async (request) => {
    await ctx.requirePermission(request, 'flow.tasks.read');
    const task = await store.find(request.params.id);
    if (!task) throw notFound('Task');
    return toTaskJson(task);
  });

  app.patch('/api/tasks/:id', { schema: { params: IdParams, body: PatchBody } }, async (request) => {
    const { principal, task } = await taskForChange(ctx, request, store, request.params.id, 'update');
    if (Object.keys(request.body).length === 0) {
      throw badRequest('Nothing to change: send at least one of title, description, status, assigneeId, dueDate.');
    }
    const { changes } = await checked(assignees, request.body);
    const updated = await updateTask(updater, principal.id, task, changes);
    if (!updated) throw notFound('Task');
    return toTaskJson(updated);
  });

  app.delete('/api/tasks/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const { task } = await taskForChange(ctx, request, store, request.params.id, 'delete');
    if (!(await store.delete(task.id))) throw notFound('Task');
    await events.deleted(task.id);
    await deleteTaskAttachments(ctx.services, task.id);
    await activity.deleteForTask(task.id);
    return reply.code(204).send();
  });
}

async function checked(assignees: Assignees, draft: TaskDraft) {
  const result = await checkTaskDraft(draft, assignees);
  if (Object.keys(result.fields).length > 0) throw unprocessable('Some fields are not valid.', result.fields);
  return result;
}
