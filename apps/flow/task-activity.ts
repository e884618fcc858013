import type { DatabaseConnection } from '../../src/database/contract.ts';
import { now } from '../../src/database/schema.ts';
import type { Services } from '../../src/platform/services.ts';
import type { ActivityDatabase } from './activity-migrations.ts';
import { STATUS_LABELS, type Task } from './task.ts';

export interface ActivityEntry {
  readonly id: number;
  readonly taskId: number;
  readonly actorId: number | null;
  readonly summary: string;
  readonly createdAt: string;
}

const SUMMARY_MAX = 500;
// A title in a summary is cut so the sentence fits its column.
const QUOTE_MAX = 120;

/** A task's history, one sentence per change (`task_activity`), shown on the task page. */
export class TaskActivity {
  constructor(private readonly connection: DatabaseConnection<ActivityDatabase>) {}

  static of(services: Services): TaskActivity {
    return new TaskActivity(services.databases.get<ActivityDatabase>('flow'));
  }

  async record(taskId: number, actorId: number | null, summaries: readonly string[]): Promise<void> {
    if (summaries.length === 0) return;
    const at = now();
    await this.connection.db
      .insertInto('task_activity')
      .values(summaries.map((summary) => ({ task_id: taskId, actor_id: actorId, summary: summary.slice(0, SUMMARY_MAX), created_at: at })))
      .execute();
  }

  /** Newest first. */
  async list(taskId: number, limit: number): Promise<ActivityEntry[]> {
    const rows = await this.connection.db.selectFrom('task_activity').selectAll().where('task_id', '=', taskId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ id: Number(r.id), taskId: Number(r.task_id), actorId: r.actor_id === null ? null : Number(r.actor_id), summary: r.summary, createdAt: r.created_at }));
  }

  /** A deleted task's history goes with it. */
  async deleteForTask(taskId: number): Promise<void> {
    await this.connection.db.deleteFrom('task_activity').where('task_id', '=', taskId).execute();
  }
}

/** What changed between two versions of a task, in words; `names` turns assignee ids into names. */
export function describeChanges(before: Task, after: Task, names: ReadonlyMap<number, string>): string[] {
  const out: string[] = [];
  const person = (id: number | null) => (id === null ? 'nobody' : (names.get(id) ?? `user #${id}`));
  if (before.title !== after.title) out.push(`renamed the task to “${quote(after.title)}”`);
  if (before.description !== after.description) out.push(after.description === '' ? 'removed the description' : 'changed the description');
  if (before.status !== after.status) out.push(`changed status from ${STATUS_LABELS[before.status]} to ${STATUS_LABELS[after.status]}`);
  if (before.assigneeId !== after.assigneeId) out.push(`assigned the task to ${person(after.assigneeId)}`);
  if (before.dueDate !== after.dueDate) out.push(after.dueDate === null ? 'removed the due date' : `set the due date to ${after.dueDate}`);
  return out;
}

export function quote(text: string): string {
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text;
}

/** Records an update's changes, naming the new assignee (one user lookup when it changed). */
export async function recordUpdate(services: Services, actorId: number, before: Task, after: Task): Promise<void> {
  const names = new Map<number, string>();
  if (after.assigneeId !== null && after.assigneeId !== before.assigneeId) {
    const user = await services.users.find(after.assigneeId);
    if (user) names.set(user.id, user.name);
  }
  await TaskActivity.of(services).record(after.id, actorId, describeChanges(before, after, names));
}
