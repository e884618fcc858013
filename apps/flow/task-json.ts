import type { Task } from './task.ts';

/** The task resource of the JSON API (DESIGN §4): listed field by field so internals never leak. */
export function toTaskJson(task: Task) {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    status: task.status,
    ownerId: task.ownerId,
    assigneeId: task.assigneeId,
    dueDate: task.dueDate,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export type TaskJson = ReturnType<typeof toTaskJson>;
