import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import { PageQuery } from '../../src/http/pagination.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import type { SearchFilter, SearchSort } from '../../src/search/contract.ts';
import { SearchText, searchForRoute } from '../../src/search/http.ts';
import { TaskStatusSchema, type Task } from './task.ts';
import { toTaskJson } from './task-json.ts';
import { TASKS_INDEX } from './search-index.ts';
import type { TaskStore } from './tasks-store.ts';
import type { Principal } from '../../src/auth/rbac.ts';

const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });

export const TaskSearchQuery = Type.Object({
  ...PageQuery.properties,
  q: Type.Optional(SearchText),
  status: Type.Optional(TaskStatusSchema),
  assignee: Type.Optional(Type.String({ pattern: '^(me|[1-9][0-9]{0,9})$' })),
  dueFrom: Type.Optional(Day),
  dueTo: Type.Optional(Day),
  sort: Type.Optional(Type.Union(['relevance', 'due', '-due', 'updated', '-updated'].map((s) => Type.Literal(s)))),
});

export interface TaskSearchParams {
  readonly q?: string;
  readonly status?: Task['status'];
  readonly assignee?: string;
  readonly dueFrom?: string;
  readonly dueTo?: string;
  readonly sort?: string;
  readonly cursor?: string;
  readonly limit: number;
}

/**
 * Finds tasks: the index answers which ids, in which order; the tasks themselves are read from
 * the database (as Scout hydrates models), so a result is never staler than the list endpoint,
 * and a task deleted before its index job ran is left out.
 */
export async function searchTasks(ctx: AppContext, store: TaskStore, principal: Principal, params: TaskSearchParams) {
  const filters: SearchFilter[] = [];
  if (params.status) filters.push({ field: 'status', op: 'eq', value: params.status });
  if (params.assignee) filters.push({ field: 'assignee_id', op: 'eq', value: params.assignee === 'me' ? principal.id : Number(params.assignee) });
  if (params.dueFrom || params.dueTo) filters.push({ field: 'due_date', op: 'range', gte: params.dueFrom, lte: params.dueTo });
  const text = params.q?.trim() ?? '';
  const sortName = params.sort ?? (text === '' ? '-updated' : 'relevance');
  const sort: SearchSort[] = sortName === 'relevance' ? [] : [{ field: sortName.endsWith('due') ? 'due_date' : 'updated_at', direction: sortName.startsWith('-') ? 'desc' : 'asc' }];
  const result = await searchForRoute(ctx.services.search, TASKS_INDEX, { text, filters, sort, limit: params.limit, cursor: params.cursor, highlight: ['title', 'description'] });
  const tasks = new Map((await store.findMany(result.hits.map((h) => Number(h.id)))).map((t) => [String(t.id), t]));
  const data = result.hits.flatMap((hit) => {
    const task = tasks.get(hit.id);
    return task ? [{ ...toTaskJson(task), highlights: hit.highlights }] : [];
  });
  return { data, next: result.next };
}

/** `GET /api/search?q=`: tasks whose title or description has the words, with the list's filters. */
export async function taskSearchApi(app: MargFastify, opts: { ctx: AppContext; store: TaskStore }): Promise<void> {
  const { ctx, store } = opts;
  app.get('/api/search', { schema: { querystring: TaskSearchQuery } }, async (request) => {
    // Every task is visible to flow.tasks.read (the list's rule, task-access.ts): the same permission gates search.
    const principal = await ctx.requirePermission(request, 'flow.tasks.read');
    return searchTasks(ctx, store, principal, request.query);
  });
}
