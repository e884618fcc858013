import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { decodeCursor, page } from '../../src/http/pagination.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { IdParams } from '../../src/http/params.ts';
import { isTaskStatus, TaskStatusSchema, type TaskStatus } from './task.ts';
import { Assignees, mayChange, taskForChange } from './task-access.ts';
import { checkTaskDraft } from './task-input.ts';
import { TaskStore } from './tasks-store.ts';
import { boardPage, type CreateDraft } from './views.ts';

const PAGE_SIZE = 25;
// The assignee pickers list this many users; a search-as-you-type picker can replace it when teams grow.
const USER_OPTIONS = 200;

const BoardQuery = Type.Object({
  status: Type.Optional(Type.Union([TaskStatusSchema, Type.Literal('')])),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
});
// Form fields are loosely typed so a bad value re-renders the board with a message (422) instead of an error page.
const formCommon = {
  _csrf: Type.Optional(Type.String({ maxLength: 256 })),
  filter: Type.Optional(Type.String({ maxLength: 16 })),
};
const CreateForm = Type.Object(
  {
    title: Type.String({ maxLength: 2000 }),
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
    assigneeId: Type.Optional(Type.String({ maxLength: 20 })),
    dueDate: Type.Optional(Type.String({ maxLength: 32 })),
    ...formCommon,
  },
  { additionalProperties: false },
);
const StatusForm = Type.Object({ status: Type.String({ maxLength: 32 }), ...formCommon }, { additionalProperties: false });
const AssigneeForm = Type.Object({ assigneeId: Type.String({ maxLength: 20 }), ...formCommon }, { additionalProperties: false });
const DeleteForm = Type.Object(formCommon, { additionalProperties: false });

const FIELD_LABELS: Readonly<Record<string, string>> = {
  title: 'Title',
  description: 'Description',
  status: 'Status',
  assigneeId: 'Assignee',
  dueDate: 'Due date',
};

/** The server-rendered board on the flow host: list, filter, create form, per-row actions (POST-redirect-GET). */
export async function taskPages(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const store = TaskStore.of(ctx.services);
  const users = ctx.services.users;
  const assignees = new Assignees(ctx.services);

  app.get('/', { schema: { querystring: BoardQuery } }, async (request, reply) => {
    return board(request, reply, { filter: request.query.status || undefined, cursor: request.query.cursor });
  });

  app.post('/tasks', { schema: { body: CreateForm } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, 'flow.tasks.create');
    const form = request.body;
    const draft: CreateDraft = {
      title: form.title,
      description: form.description ?? '',
      assigneeId: form.assigneeId ?? '',
      dueDate: form.dueDate ?? '',
    };
    const { changes, fields } = await checkTaskDraft(
      { title: draft.title, description: draft.description, assigneeId: formUserId(draft.assigneeId), dueDate: draft.dueDate || null },
      assignees,
    );
    const filter = filterOf(form.filter);
    if (hasErrors(fields)) return board(request, reply, { filter, error: describe(fields), draft, status: 422 });
    await store.create({
      title: changes.title ?? draft.title,
      description: changes.description ?? '',
      status: 'todo',
      ownerId: principal.id,
      assigneeId: changes.assigneeId ?? null,
      dueDate: changes.dueDate ?? null,
    });
    return reply.redirect(backTo(filter), 303);
  });

  app.post('/tasks/:id/status', { schema: { params: IdParams, body: StatusForm } }, async (request, reply) => {
    const { task } = await taskForChange(ctx, request, store, request.params.id, 'update');
    const { changes, fields } = await checkTaskDraft({ status: request.body.status }, assignees);
    const filter = filterOf(request.body.filter);
    if (hasErrors(fields)) return board(request, reply, { filter, error: describe(fields), status: 422 });
    await store.update(task.id, changes);
    return reply.redirect(backTo(filter), 303);
  });

  app.post('/tasks/:id/assignee', { schema: { params: IdParams, body: AssigneeForm } }, async (request, reply) => {
    const { task } = await taskForChange(ctx, request, store, request.params.id, 'update');
    const { changes, fields } = await checkTaskDraft({ assigneeId: formUserId(request.body.assigneeId) }, assignees);
    const filter = filterOf(request.body.filter);
    if (hasErrors(fields)) return board(request, reply, { filter, error: describe(fields), status: 422 });
    await store.update(task.id, changes);
    return reply.redirect(backTo(filter), 303);
  });

  app.post('/tasks/:id/delete', { schema: { params: IdParams, body: DeleteForm } }, async (request, reply) => {
    const { task } = await taskForChange(ctx, request, store, request.params.id, 'delete');
    await store.delete(task.id);
    return reply.redirect(backTo(filterOf(request.body.filter)), 303);
  });

  async function board(
    request: FastifyRequest,
    reply: FastifyReply,
    state: { filter?: TaskStatus; cursor?: string; error?: string; draft?: CreateDraft; status?: number },
  ): Promise<FastifyReply> {
    const principal = await ctx.requirePermission(request, 'flow.tasks.read');
    const before = decodeCursor(state.cursor);
    const { data, next } = page(await store.list(PAGE_SIZE + 1, { before, status: state.filter }), PAGE_SIZE, (t) => t);
    // Only users who can be assigned (a Flow role that sees tasks) are offered; names of others still show in the rows.
    const people = (await assignees.list(USER_OPTIONS)).sort((a, b) => a.name.localeCompare(b.name));
    const names = new Map(people.map((u) => [u.id, u.name]));
    for (const id of new Set(data.map((t) => t.assigneeId))) {
      if (id === null || names.has(id)) continue;
      const user = await users.find(id);
      if (user) names.set(id, user.name);
    }
    const body = boardPage({
      rows: data.map((task) => ({
        task,
        assigneeName: task.assigneeId === null ? null : (names.get(task.assigneeId) ?? `User #${task.assigneeId}`),
        mayUpdate: mayChange(principal, task, 'update'),
        mayDelete: mayChange(principal, task, 'delete'),
      })),
      filter: state.filter,
      olderUrl: next ? `/?${new URLSearchParams({ ...(state.filter ? { status: state.filter } : {}), cursor: next })}` : null,
      users: people,
      csrf: ctx.session(request).csrfToken,
      canCreate: can(principal, 'flow.tasks.create'),
      ...(state.error ? { error: state.error } : {}),
      ...(state.draft ? { draft: state.draft } : {}),
    });
    return ctx.page(request, reply, { title: 'Tasks', body, ...(state.status ? { status: state.status } : {}) });
  }
}

/** '' unassigns; anything that is not a plain positive integer becomes NaN, which the draft check refuses. */
function formUserId(text: string): number | null {
  if (text === '') return null;
  return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : Number.NaN;
}

function filterOf(value: string | undefined): TaskStatus | undefined {
  return value !== undefined && isTaskStatus(value) ? value : undefined;
}

function backTo(filter: TaskStatus | undefined): string {
  return filter ? `/?status=${filter}` : '/';
}

function hasErrors(fields: Record<string, string>): boolean {
  return Object.keys(fields).length > 0;
}

function describe(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([field, problem]) => `${FIELD_LABELS[field] ?? field} ${problem}.`)
    .join(' ');
}
