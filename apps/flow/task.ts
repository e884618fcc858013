import { Type } from '@sinclair/typebox';

export const TASK_STATUSES = ['todo', 'doing', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TaskStatusSchema = Type.Union([Type.Literal('todo'), Type.Literal('doing'), Type.Literal('done')]);

export const STATUS_LABELS: Readonly<Record<TaskStatus, string>> = { todo: 'To do', doing: 'Doing', done: 'Done' };

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 5000;
/** A task as the app sees it (the row, camelCased). */
export interface Task {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly status: TaskStatus;
  readonly ownerId: number;
  readonly assigneeId: number | null;
  /** 'YYYY-MM-DD' */
  readonly dueDate: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function isTaskStatus(value: string): value is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(value);
}
