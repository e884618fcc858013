import { sql, type Selectable } from 'kysely';
import type { DatabaseConnection } from '../../src/database/contract.ts';
import { insertGetId, now } from '../../src/database/schema.ts';
import type { Services } from '../../src/platform/services.ts';
import type { FlowDatabase } from './migrations.ts';
import type { Task, TaskStatus } from './task.ts';
import { notifyTaskSearch } from './search-index.ts';

export interface TaskFilter {
  readonly status?: TaskStatus;
  readonly assigneeId?: number;
}

/** The board's filters: `assigneeId` null means unassigned; `due` compares with `today` (YYYY-MM-DD). */
export interface BoardFilter {
  readonly status?: TaskStatus | undefined;
  readonly assigneeId?: number | null | undefined;
  readonly due?: 'overdue' | 'week' | 'none' | undefined;
  readonly today: string;
}

export type BoardSort = 'newest' | 'oldest' | 'due';

export type NewTask = Omit<Task, 'id' | 'createdAt' | 'updatedAt'>;

export type TaskChanges = Partial<Pick<Task, 'title' | 'description' | 'status' | 'assigneeId' | 'dueDate'>>;

/** Told of every created, changed or deleted task (ids), after the write: the search index follows it. */
export type TaskChangeListener = (ids: readonly number[]) => Promise<void>;

/** Queries on the `tasks` table of the flow database. */
export class TaskStore {
  constructor(
    private readonly connection: DatabaseConnection<FlowDatabase>,
    private readonly onChange?: TaskChangeListener,
  ) {}

  /** The store the app uses: its writes queue search index jobs (search.ts). */
  static of(services: Services): TaskStore {
    return new TaskStore(services.databases.get<FlowDatabase>('flow'), (ids) => notifyTaskSearch(services, ids));
  }

  /** These tasks (any order); unknown ids are left out. */
  async findMany(ids: readonly number[]): Promise<Task[]> {
    if (ids.length === 0) return [];
    return (await this.connection.db.selectFrom('tasks').selectAll().where('id', 'in', [...ids]).execute()).map(toTask);
  }

  /** Oldest first after `after`: for the search index's rebuild and sync. */
  async scan(after: number, limit: number): Promise<Task[]> {
    return (await this.connection.db.selectFrom('tasks').selectAll().where('id', '>', after).orderBy('id', 'asc').limit(limit).execute()).map(toTask);
  }

  async count(): Promise<number> {
    const row = await this.connection.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Newest first; `before` is the last id of the previous page. */
  async list(limit: number, options: TaskFilter & { before?: number } = {}): Promise<Task[]> {
    let query = this.connection.db.selectFrom('tasks').selectAll().orderBy('id', 'desc').limit(limit);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    if (options.status !== undefined) query = query.where('status', '=', options.status);
    if (options.assigneeId !== undefined) query = query.where('assignee_id', '=', options.assigneeId);
    return (await query.execute()).map(toTask);
  }

  /**
   * One page of the board: filtered, sorted, `offset` rows in. Offsets (not cursors) because the
   * board sorts by due date too and pages both ways; a page may shift when tasks are added meanwhile.
   */
  async board(filter: BoardFilter, sort: BoardSort, offset: number, limit: number): Promise<Task[]> {
    let query = this.connection.db.selectFrom('tasks').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.assigneeId === null) query = query.where('assignee_id', 'is', null);
    else if (filter.assigneeId !== undefined) query = query.where('assignee_id', '=', filter.assigneeId);
    if (filter.due === 'none') query = query.where('due_date', 'is', null);
    else if (filter.due === 'overdue') query = query.where('due_date', '<', filter.today).where('status', '!=', 'done');
    else if (filter.due === 'week') query = query.where('due_date', '>=', filter.today).where('due_date', '<=', addDays(filter.today, 7));
    if (sort === 'due') {
      // Tasks without a due date last, on every database (NULLS LAST is not portable).
      query = query.orderBy(sql`case when due_date is null then 1 else 0 end`).orderBy('due_date', 'asc').orderBy('id', 'asc');
    } else {
      query = query.orderBy('id', sort === 'oldest' ? 'asc' : 'desc');
    }
    return (await query.limit(limit).offset(offset).execute()).map(toTask);
  }

  async find(id: number): Promise<Task | undefined> {
    const row = await this.connection.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTask(row);
  }

  async create(input: NewTask): Promise<Task> {
    const at = now();
    const id = await insertGetId(
      this.connection.db.insertInto('tasks').values({
        title: input.title,
        description: input.description,
        status: input.status,
        owner_id: input.ownerId,
        assignee_id: input.assigneeId,
        due_date: input.dueDate,
        created_at: at,
        updated_at: at,
      }),
      this.connection.dialect,
    );
    await this.onChange?.([id]);
    return { id, ...input, createdAt: at, updatedAt: at };
  }

  /** The task after the change, or undefined when it does not exist. */
  async update(id: number, changes: TaskChanges): Promise<Task | undefined> {
    await this.connection.db
      .updateTable('tasks')
      .set({
        ...(changes.title !== undefined ? { title: changes.title } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.status !== undefined ? { status: changes.status } : {}),
        ...(changes.assigneeId !== undefined ? { assignee_id: changes.assigneeId } : {}),
        ...(changes.dueDate !== undefined ? { due_date: changes.dueDate } : {}),
        updated_at: now(),
      })
      .where('id', '=', id)
      .execute();
    await this.onChange?.([id]);
    return this.find(id);
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.connection.db.deleteFrom('tasks').where('id', '=', id).executeTakeFirst();
    await this.onChange?.([id]);
    return Number(result.numDeletedRows) > 0;
  }
}

function toTask(row: Selectable<FlowDatabase['tasks']>): Task {
  return {
    id: Number(row.id),
    title: row.title,
    description: row.description,
    status: row.status,
    ownerId: Number(row.owner_id),
    assigneeId: row.assignee_id === null ? null : Number(row.assignee_id),
    dueDate: row.due_date,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** 'YYYY-MM-DD' plus `days`. */
function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
