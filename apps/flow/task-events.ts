import type { Services } from '../../src/platform/services.ts';
import type { Task } from './task.ts';
import { toTaskJson } from './task-json.ts';

/** The channel the task list subscribes to; `flow.tasks.read` may listen (apps/flow/index.ts). */
export const TASKS_CHANNEL = 'private-flow.tasks';

/**
 * Broadcasts task changes (`task.created`, `task.updated`, `task.deleted`) through the broadcast
 * port. A change is saved whether or not the broadcast goes out: a failure is logged, not thrown.
 */
export class TaskEvents {
  constructor(private readonly services: Pick<Services, 'broadcast' | 'logger'>) {}

  created(task: Task): Promise<void> {
    return this.#send('task.created', toTaskJson(task));
  }

  updated(task: Task): Promise<void> {
    return this.#send('task.updated', toTaskJson(task));
  }

  deleted(id: number): Promise<void> {
    return this.#send('task.deleted', { id });
  }

  async #send(event: string, payload: object): Promise<void> {
    try {
      await this.services.broadcast.publish({ channel: TASKS_CHANNEL, event, data: JSON.stringify(payload), sentAt: Date.now() });
    } catch (error) {
      this.services.logger.warn({ err: error, event }, 'flow: task change not broadcast');
    }
  }
}
