import type { Selectable } from 'kysely';
import type { DatabaseConnection } from '../../src/database/contract.ts';
import { insertGetId, now } from '../../src/database/schema.ts';
import type { Services } from '../../src/platform/services.ts';
import type { FlowDatabase } from './migrations.ts';
import type { Task, TaskStatus } from './task.ts';

export interface TaskFilter {
  readonly status?: TaskStatus;
  readonly assigneeId?: number;
}

export type NewTask = Omit<Task, 'id' | 'createdAt' | 'updatedAt'>;

export type TaskChanges = Partial<Pick<Task, 'title' | 'description' | 'status' | 'assigneeId' | 'dueDate'>>;

/** Queries on the `tasks` table of the flow database. */
export class TaskStore {
  constructor(private readonly connection: DatabaseConnection<FlowDatabase>) {}

  static of(services: Services): TaskStore {
    return new TaskStore(services.databases.get<FlowDatabase>('flow'));
  }

  /** Newest first; `before` is the last id of the previous page. */
  async list(limit: number, options: TaskFilter & { before?: number } = {}): Promise<Task[]> {
    let query = this.connection.db.selectFrom('tasks').selectAll().orderBy('id', 'desc').limit(limit);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    if (options.status !== undefined) query = query.where('status', '=', options.status);
    if (options.assigneeId !== undefined) query = query.where('assignee_id', '=', options.assigneeId);
    return (await query.execute()).map(toTask);
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
    return this.find(id);
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.connection.db.deleteFrom('tasks').where('id', '=', id).executeTakeFirst();
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
