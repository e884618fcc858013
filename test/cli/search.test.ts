import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { FlowDatabase } from '../../apps/flow/migrations.ts';
import { TASKS_INDEX } from '../../apps/flow/search-index.ts';
import { cleanupCli, describeResult, migratedProject, runMarg, spawnMarg, withCliServices } from '../support/cli.ts';
import { until } from '../support/wait.ts';

// Enough that a reindex takes a few batches of 1,000, few enough to stay well inside the runner's per-file time on a loaded machine.
const TASKS = 5_000;
// Each test starts `marg` processes (seconds each, far more on a loaded machine): a longer bound than the runner's default.
const SLOW = { timeout: 400_000 };

async function insertTasks(db: Kysely<FlowDatabase>, count: number): Promise<void> {
  const at = new Date().toISOString();
  for (let i = 0; i < count; i += 500) {
    const rows = Array.from({ length: Math.min(500, count - i) }, (_, j) => ({
      title: `Task ${i + j} ${(i + j) % 2 === 0 ? 'even' : 'odd'} wombat`,
      description: 'Generated for the reindex test',
      status: 'todo' as const,
      owner_id: 1,
      assignee_id: null,
      due_date: null,
      created_at: at,
      updated_at: at,
    }));
    await db.insertInto('tasks').values(rows).execute();
  }
}

describe('marg search:reindex, search:sync, search:status (real processes)', () => {
  let dir: string;

  before(async () => {
    dir = await migratedProject();
    await withCliServices(dir, {}, (services) => insertTasks(services.databases.get<FlowDatabase>('flow').db, TASKS));
  });
  after(() => cleanupCli());

  it('rebuilds every index, prints the rate, and status counts documents against records', SLOW, async () => {
    const result = await runMarg(['search:reindex'], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, new RegExp(`flow_tasks: ${TASKS} documents in flow_tasks__\\w+ \\([\\d.]+ s, \\d+ documents/s\\)`));
    // Not a terminal: plain progress lines, no carriage returns.
    assert.match(result.stderr, /flow_tasks: 100% 5,000\/5,000 [\d,]+\/s/);
    assert.doesNotMatch(result.stderr, /\r/);
    const status = await runMarg(['search:status', '--json'], { cwd: dir });
    assert.equal(status.code, 0, describeResult(status));
    const body = JSON.parse(status.stdout) as { driver: string; indexes: { index: string; documents: number; records: number }[] };
    assert.equal(body.driver, 'sqlite');
    const tasks = body.indexes.find((i) => i.index === 'flow_tasks');
    assert.equal(tasks?.documents, TASKS);
    assert.equal(tasks.records, TASKS);
  });

  it('a reindex killed half-way leaves the old index in use and complete; the next one cleans up', SLOW, async () => {
    const before = await withCliServices(dir, {}, (s) => s.search.engine.resolveAlias(TASKS_INDEX.name));
    assert.ok(before);
    const child = spawnMarg(['search:reindex', '--index', 'flow_tasks'], { cwd: dir });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Kill it once the new index holds some documents but not all of them (one connection polls, so each look is quick).
    await withCliServices(dir, {}, async (s) => {
      try {
        await until(async () => {
          const fresh = (await s.search.engine.physicalIndexes(TASKS_INDEX.name)).find((p) => p !== before);
          if (!fresh) return false;
          const n = await s.search.engine.count(TASKS_INDEX, fresh).catch(() => 0);
          return n > 0 && n < TASKS;
        }, 60_000);
      } finally {
        child.kill('SIGKILL');
      }
    });
    assert.equal(await exited, 'SIGKILL');
    await withCliServices(dir, {}, async (s) => {
      const engine = s.search.engine;
      assert.equal(await engine.resolveAlias(TASKS_INDEX.name), before, 'the alias still points at the old index');
      assert.equal(await engine.count(TASKS_INDEX), TASKS);
      const found = await s.search.query(TASKS_INDEX, { text: 'wombat even', limit: 5 });
      assert.equal(found.hits.length, 5);
      assert.equal((await engine.physicalIndexes(TASKS_INDEX.name)).length, 2, 'the unfinished index is left over');
    });
    const again = await runMarg(['search:reindex', '--index', 'flow_tasks'], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(again.code, 0, describeResult(again));
    await withCliServices(dir, {}, async (s) => {
      const indexes = await s.search.engine.physicalIndexes(TASKS_INDEX.name);
      assert.equal(indexes.length, 1);
      assert.notEqual(indexes[0], before);
      assert.equal(await s.search.engine.count(TASKS_INDEX), TASKS);
    });
  });

  it('search:sync repairs drift: changes made behind the index jobs’ back', SLOW, async () => {
    await withCliServices(dir, {}, async (s) => {
      const db = s.databases.get<FlowDatabase>('flow').db;
      await db.updateTable('tasks').set({ title: 'Platypus renamed', updated_at: new Date(Date.now() + 1000).toISOString() }).where('id', '=', 1).execute();
      await db.deleteFrom('tasks').where('id', '=', 2).execute();
    });
    const result = await runMarg(['search:sync', '--index', 'flow_tasks'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, /flow_tasks: 1 written, 1 deleted/);
    await withCliServices(dir, {}, async (s) => {
      assert.deepEqual((await s.search.query(TASKS_INDEX, { text: 'platypus', limit: 5 })).hits.map((h) => h.id), ['1']);
      assert.equal(await s.search.engine.count(TASKS_INDEX), TASKS - 1);
    });
  });
});
