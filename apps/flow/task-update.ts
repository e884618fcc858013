import type { Services } from '../../src/platform/services.ts';
import { recordUpdate } from './task-activity.ts';
import type { TaskEvents } from './task-events.ts';
import type { TaskChanges, TaskStore } from './tasks-store.ts';
import type { Task } from './task.ts';

/** What a task update goes through, made once per plugin. */
export interface TaskUpdater {
  readonly services: Services;
  readonly store: TaskStore;
  readonly events: TaskEvents;
}

/**
 * Saves a task's changes with what every update brings, whichever page or API made it: the
 * activity entry and the live boards' `task.updated`. Undefined when the task is gone meanwhile.
 */
export async function updateTask(updater: TaskUpdater, actorId: number, task: Task, changes: TaskChanges): Promise<Task | undefined> {
  const updated = await updater.store.update(task.id, changes);
  if (updated) {
    await recordUpdate(updater.services, actorId, task, updated);
    await updater.events.updated(updated);
  }
  return updated;
}
