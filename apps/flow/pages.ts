import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { setFlash, takeFlash } from '../../src/http/flash.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { IdParams } from '../../src/http/params.ts';
import { isTaskStatus, STATUS_LABELS, TaskStatusSchema } from './task.ts';
import { Assignees, mayChange, taskForChange } from './task-access.ts';
import { checkTaskDraft } from './task-input.ts';
import { describeFields, formUserId } from './task-form.ts';
import { TaskEvents } from './task-events.ts';
import { TaskStore, type BoardFilter } from './tasks-store.ts';
import { quote, TaskActivity } from './task-activity.ts';
import { type TaskUpdater, updateTask } from './task-update.ts';
import { deleteTaskAttachments } from './attachment-files.ts';
import { AttachmentStore } from './attachments-store.ts';
import { boardPage, type CreateDraft } from './views.ts';
import { SearchText } from '../../src/search/http.ts';
import { searchResultsPage } from '../../src/search/views.ts';
import { searchTasks } from './search-api.ts';

const PAGE_SIZE = 25;
// The assignee pickers list this many users; a search-as-you-type picker can replace it when teams grow.
const USER_OPTIONS = 200;

const SearchPageQuery = Type.Object({ q: Type.Optional(SearchText), cursor: Type.Optional(Type.String({ maxLength: 64 })) });
const MAX_PAGE = 10_000;
const boardFields = {
  status: Type.Optional(Type.Union([TaskStatusSchema, Type.Literal('')])),
  assignee: Type.Optional(Type.String({ pattern: '^(|me|none|[1-9][0-9]{0,9})$' })),
  due: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('overdue'), Type.Literal('week'), Type.Literal('none')])),
  sort: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('oldest'), Type.Literal('due')])),
};
const BoardQuery = Type.Object({ ...boardFields, page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })) });
type BoardQuery = Static<typeof BoardQuery>;
// Form fields are loosely typed so a bad value re-renders the board with a message (422) instead of an error page.
const formCommon = {
  _csrf: Type.Optional(Type.String({ maxLength: 256 })),
  /** The board's query string to return to (filters and sort); `filter` is the older status-only form of it. */
  back: Type.Optional(Type.String({ maxLength: 200 })),
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

/** The server-rendered board on the flow host: filters, sort, pages, create form, per-row status and delete (POST-redirect-GET). */
export async function taskPages(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const store = TaskStore.of(ctx.services);
  const users = ctx.services.users;
  const assignees = new Assignees(ctx.services);
  const events = new TaskEvents(ctx.services);
  const updater: TaskUpdater = { services: ctx.services, store, events };
  const activity = TaskActivity.of(ctx.services);

  app.get('/', { schema: { querystring: BoardQuery } }, async (request, reply) => {
    return board(request, reply, { query: request.query, flash: takeFlash(request) });
  });

  app.get('/search', { schema: { querystring: SearchPageQuery } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, 'flow.tasks.read');
    const q = request.query.q ?? '';
    const { data, next } = await searchTasks(ctx, store, principal, { q, cursor: request.query.cursor, limit: PAGE_SIZE });
    const results = data.map((t) => ({
      href: `/tasks/${t.id}`,
      title: t.title,
      titleHtml: t.highlights.title,
      snippetHtml: t.highlights.description,
      meta: `${t.status}${t.dueDate ? ` · due ${t.dueDate}` : ''}`,
    }));
    const nextUrl = next ? `/search?${new URLSearchParams({ q, cursor: next })}` : null;
    return ctx.page(request, reply, { title: 'Search tasks', body: searchResultsPage('/search', q, results, nextUrl) });
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
    const query = backQuery(form);
    if (hasErrors(fields)) return board(request, reply, { query, error: describeFields(fields), draft, status: 422 });
    const created = await store.create({
      title: changes.title ?? draft.title,
      description: changes.description ?? '',
      status: 'todo',
      ownerId: principal.id,
      assigneeId: changes.assigneeId ?? null,
      dueDate: changes.dueDate ?? null,
    });
    await activity.record(created.id, principal.id, ['created the task']);
    await events.created(created);
    setFlash(ctx, request, `Created “${quote(created.title)}”.`);
    return reply.redirect(boardUrl(query), 303);
  });

  app.post('/tasks/:id/status', { schema: { params: IdParams, body: StatusForm } }, async (request, reply) => {
    const { principal, task } = await taskForChange(ctx, request, store, request.params.id, 'update');
    const { changes, fields } = await checkTaskDraft({ status: request.body.status }, assignees);
    const query = backQuery(request.body);
    if (hasErrors(fields)) return board(request, reply, { query, error: describeFields(fields), status: 422 });
    const updated = await updateTask(updater, principal.id, task, changes);
    if (updated) setFlash(ctx, request, `“${quote(updated.title)}” is now ${STATUS_LABELS[updated.status]}.`);
    return reply.redirect(boardUrl(query), 303);
  });

  app.post('/tasks/:id/assignee', { schema: { params: IdParams, body: AssigneeForm } }, async (request, reply) => {
    const { principal, task } = await taskForChange(ctx, request, store, request.params.id, 'update');
    const { changes, fields } = await checkTaskDraft({ assigneeId: formUserId(request.body.assigneeId) }, assignees);
    const query = backQuery(request.body);
    if (hasErrors(fields)) return board(request, reply, { query, error: describeFields(fields), status: 422 });
    await updateTask(updater, principal.id, task, changes);
    return reply.redirect(boardUrl(query), 303);
  });

  app.post('/tasks/:id/delete', { schema: { params: IdParams, body: DeleteForm } }, async (request, reply) => {
    const { task } = await taskForChange(ctx, request, store, request.params.id, 'delete');
    if (await store.delete(task.id)) await events.deleted(task.id);
    await deleteTaskAttachments(ctx.services, task.id);
    await activity.deleteForTask(task.id);
    setFlash(ctx, request, `Deleted “${quote(task.title)}”.`);
    return reply.redirect(boardUrl(backQuery(request.body)), 303);
  });

  async function board(
    request: FastifyRequest,
    reply: FastifyReply,
    state: { query: BoardQuery; flash?: string | undefined; error?: string; draft?: CreateDraft; status?: number },
  ): Promise<FastifyReply> {
    const principal = await ctx.requirePermission(request, 'flow.tasks.read');
    const { query } = state;
    const pageNumber = query.page ?? 1;
    const filter: BoardFilter = {
      status: query.status || undefined,
      assigneeId: query.assignee === 'me' ? principal.id : query.assignee === 'none' ? null : query.assignee ? Number(query.assignee) : undefined,
      due: query.due || undefined,
      today: new Date().toISOString().slice(0, 10),
    };
    const rows = await store.board(filter, query.sort ?? 'newest', (pageNumber - 1) * PAGE_SIZE, PAGE_SIZE + 1);
    const data = rows.slice(0, PAGE_SIZE);
    // Only users who can be assigned (a Flow role that sees tasks) are offered; names of others still show in the rows.
    const people = (await assignees.list(USER_OPTIONS)).sort((a, b) => a.name.localeCompare(b.name));
    const names = new Map(people.map((u) => [u.id, u.name]));
    for (const id of new Set(data.map((t) => t.assigneeId))) {
      if (id === null || names.has(id)) continue;
      const user = await users.find(id);
      if (user) names.set(id, user.name);
    }
    const files = await AttachmentStore.of(ctx.services).listForTasks(data.map((t) => t.id));
    const back = queryString(query);
    const at = (n: number) => boardUrl({ ...query, page: n });
    const body = boardPage({
      rows: data.map((task) => ({
        task,
        attachments: files.get(task.id) ?? [],
        assigneeName: task.assigneeId === null ? null : (names.get(task.assigneeId) ?? `User #${task.assigneeId}`),
        mayUpdate: mayChange(principal, task, 'update'),
        mayDelete: mayChange(principal, task, 'delete'),
      })),
      query: { status: query.status ?? '', assignee: query.assignee ?? '', due: query.due ?? '', sort: query.sort ?? 'newest' },
      back,
      newerUrl: pageNumber > 1 ? at(pageNumber - 1) : null,
      olderUrl: rows.length > PAGE_SIZE && pageNumber < MAX_PAGE ? at(pageNumber + 1) : null,
      pageNumber,
      users: people,
      csrf: ctx.session(request).csrfToken,
      canCreate: can(principal, 'flow.tasks.create'),
      flash: state.flash,
      ...(state.error ? { error: state.error } : {}),
      ...(state.draft ? { draft: state.draft } : {}),
    });
    return ctx.page(request, reply, { title: 'Tasks', body, live: true, ...(state.status ? { status: state.status } : {}) });
  }
}

/** The board query a form posts back: its `back` field (only the known filters survive), or the older `filter`. */
function backQuery(form: { back?: string | undefined; filter?: string | undefined }): BoardQuery {
  if (form.back !== undefined) {
    const params = new URLSearchParams(form.back);
    const candidate: Record<string, string> = {};
    for (const key of Object.keys(boardFields)) {
      const value = params.get(key);
      if (value !== null) candidate[key] = value;
    }
    // Anything that is not a valid board query is dropped rather than refused: it only decides where to land.
    return Value.Check(BoardQueryFields, candidate) ? candidate : {};
  }
  return form.filter !== undefined && isTaskStatus(form.filter) ? { status: form.filter } : {};
}

const BoardQueryFields = Type.Object(boardFields);

function queryString(query: BoardQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '' && !(key === 'page' && value === 1)) params.set(key, String(value));
  return params.toString();
}

function boardUrl(query: BoardQuery): string {
  const text = queryString(query);
  return text ? `/?${text}` : '/';
}

function hasErrors(fields: Record<string, string>): boolean {
  return Object.keys(fields).length > 0;
}
