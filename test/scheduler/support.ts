import { APPS } from '../../apps/index.ts';
import { migrationPlan } from '../../src/platform/migrate.ts';
import type { Services } from '../../src/platform/services.ts';
import type { ScheduledTask } from '../../src/scheduler/contract.ts';
import { scheduleMigrations } from '../../src/scheduler/schema.ts';

/**
 * Creates `schedule_runs` in the platform database unless `marg migrate` (the migration plan)
 * already does. Run straight from the migration, outside Kysely's bookkeeping, so that it
 * cannot clash with the platform's other migrations in the plan (the queue's).
 */
export async function ensureScheduleTables(services: Services): Promise<void> {
  const planned = migrationPlan(APPS).some((p) => p.database === 'platform' && Object.keys(scheduleMigrations).every((name) => name in p.migrations));
  if (planned) return;
  const connection = services.databases.get('platform');
  for (const migration of Object.values(scheduleMigrations)) await migration.up(connection.db, { dialect: connection.dialect });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds, polling; fails after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A task with defaults, for tests. */
export function task(name: string, run: ScheduledTask['run'], extra: Partial<ScheduledTask> = {}): ScheduledTask {
  return { name, description: `test task ${name}`, cron: '* * * * * *', run, ...extra };
}

/** Resolves at the start of the next wall-clock second plus `offsetMs`: tests line their windows up with ticks. */
export function nextSecond(offsetMs = 0): Promise<void> {
  return sleep(1000 - (Date.now() % 1000) + offsetMs);
}
