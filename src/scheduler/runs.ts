import type { DatabaseConnection } from '../database/contract.ts';
import { isUniqueViolation } from '../database/errors.ts';
import { now } from '../database/schema.ts';
import type { ScheduleDatabase, ScheduleRunStatus } from './schema.ts';

/** One row of `schedule_runs`. */
export interface ScheduleRun {
  readonly task: string;
  readonly tick: string;
  readonly node: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: ScheduleRunStatus;
  readonly error: string | null;
}

/** Errors are kept short enough for a list screen and a TEXT column on every dialect. */
const MAX_ERROR_CHARS = 4000;

/** The `schedule_runs` table: a row per task and tick, whichever node ran it. */
export class ScheduleRuns {
  constructor(private readonly connection: DatabaseConnection<ScheduleDatabase>) {}

  /**
   * Records that `node` starts the tick (status `running`, or `skipped-overlap` at once).
   * False when the tick already has a row: another scheduler took it.
   */
  async begin(task: string, tick: string, node: string, status: 'running' | 'skipped-overlap' = 'running'): Promise<boolean> {
    const at = now();
    try {
      await this.connection.db
        .insertInto('schedule_runs')
        .values({ task, tick, node, started_at: at, finished_at: status === 'running' ? null : at, status, error: null })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Settles a row this node began. */
  async finish(task: string, tick: string, node: string, status: Exclude<ScheduleRunStatus, 'running'>, error?: string): Promise<void> {
    await this.connection.db
      .updateTable('schedule_runs')
      .set({ status, finished_at: now(), error: error === undefined ? null : error.slice(0, MAX_ERROR_CHARS) })
      .where('task', '=', task)
      .where('tick', '=', tick)
      .where('node', '=', node)
      .execute();
  }

  /** The row of one tick, if any. */
  async find(task: string, tick: string): Promise<ScheduleRun | undefined> {
    const row = await this.connection.db.selectFrom('schedule_runs').selectAll().where('task', '=', task).where('tick', '=', tick).executeTakeFirst();
    return row && toRun(row);
  }

  /** The latest tick of each task that has one. */
  async latest(tasks: readonly string[]): Promise<Map<string, ScheduleRun>> {
    const out = new Map<string, ScheduleRun>();
    // One indexed lookup per task (the (task, tick) index): tasks are few, rows are many.
    for (const task of tasks) {
      const row = await this.connection.db.selectFrom('schedule_runs').selectAll().where('task', '=', task).orderBy('tick', 'desc').limit(1).executeTakeFirst();
      if (row) out.set(task, toRun(row));
    }
    return out;
  }

  /** Every row, oldest tick first (tests and diagnostics). */
  async all(task?: string): Promise<ScheduleRun[]> {
    let query = this.connection.db.selectFrom('schedule_runs').selectAll().orderBy('tick').orderBy('id');
    if (task !== undefined) query = query.where('task', '=', task);
    return (await query.execute()).map(toRun);
  }

  /** Deletes rows started before the date; returns how many. */
  async prune(olderThan: Date): Promise<number> {
    const result = await this.connection.db.deleteFrom('schedule_runs').where('started_at', '<', olderThan.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRun(row: {
  task: string;
  tick: string;
  node: string;
  started_at: string;
  finished_at: string | null;
  status: ScheduleRunStatus;
  error: string | null;
}): ScheduleRun {
  return { task: row.task, tick: row.tick, node: row.node, startedAt: row.started_at, finishedAt: row.finished_at, status: row.status, error: row.error };
}
