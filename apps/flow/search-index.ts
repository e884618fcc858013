import type { IndexDefinition, SearchDocument } from '../../src/search/contract.ts';
import { checkDefinition } from '../../src/search/definition.ts';
import type { SearchSource } from '../../src/search/source.ts';
import type { Services } from '../../src/platform/services.ts';
import type { Task } from './task.ts';

/** flow's search index: words of the title and description; filters status, assignee, owner, due. */
export const TASKS_INDEX: IndexDefinition = checkDefinition({
  name: 'flow_tasks',
  fields: [
    { name: 'title', type: 'text', searchable: true },
    { name: 'description', type: 'text', searchable: true },
    { name: 'status', type: 'keyword', filterable: true },
    { name: 'assignee_id', type: 'integer', filterable: true },
    { name: 'owner_id', type: 'integer', filterable: true },
    { name: 'due_date', type: 'date', filterable: true, sortable: true },
    { name: 'updated_at', type: 'date', sortable: true },
  ],
});

export function taskDocument(task: Task): SearchDocument {
  return {
    id: String(task.id),
    // The change time orders index writes of one task (an older job never overwrites a newer one).
    version: Date.parse(task.updatedAt),
    fields: {
      title: task.title,
      description: task.description,
      status: task.status,
      assignee_id: task.assigneeId,
      owner_id: task.ownerId,
      due_date: task.dueDate,
      updated_at: task.updatedAt,
    },
  };
}

/** Queues the index job for changed tasks; a failure is logged, and the nightly sync repairs it. */
export async function notifyTaskSearch(services: Services, ids: readonly number[]): Promise<void> {
  const version = Date.now();
  try {
    await services.search.changed(TASKS_INDEX, ids.map((id) => ({ id: String(id), version })));
  } catch (error) {
    services.logger.warn({ err: error, index: TASKS_INDEX.name, ids }, 'search index job not queued: the nightly sync will repair it');
  }
}

/** The reads the index needs (TaskStore has them; named here so the store and this file do not import each other). */
export interface TaskReader {
  findMany(ids: readonly number[]): Promise<Task[]>;
  scan(after: number, limit: number): Promise<Task[]>;
  count(): Promise<number>;
}

export function taskSearchSource(store: TaskReader): SearchSource {
  return {
    definition: TASKS_INDEX,
    async load(ids) {
      const numeric = ids.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
      return (await store.findMany(numeric)).map(taskDocument);
    },
    async scan(after, limit) {
      return (await store.scan(after === undefined ? 0 : Number(after), limit)).map(taskDocument);
    },
    count: () => store.count(),
  };
}
