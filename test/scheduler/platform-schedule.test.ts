import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APPS } from '../../apps/index.ts';
import type { RoleRef } from '../../src/auth/permissions.ts';
import type { Services } from '../../src/platform/services.ts';
import type { SessionStore } from '../../src/session/contract.ts';
import { platformJobs } from '../../src/platform/jobs.ts';
import { allScheduledTasks, platformSchedule } from '../../src/platform/schedule.ts';
import type { DispatchResult, FailedJob, FailedJobProvider, JobProducer, NewJob, QueueCounts, QueueMonitor, ReservedJob } from '../../src/queue/contract.ts';
import { Queue } from '../../src/queue/queue.ts';
import { ScheduleRuns } from '../../src/scheduler/runs.ts';
import type { ScheduleDatabase } from '../../src/scheduler/schema.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { createTestPlatform, TEST_PASSWORD, type TestPlatform } from '../support/platform.ts';
import { ensureScheduleTables } from './support.ts';

/** Records what the platform's tasks ask of the queue, whatever driver the lead's queue has. */
class RecordingQueue implements JobProducer, QueueMonitor, FailedJobProvider {
  readonly dispatched: NewJob[] = [];
  readonly pruned: Date[] = [];
  async dispatch(job: NewJob): Promise<DispatchResult> {
    this.dispatched.push(job);
    return { id: String(this.dispatched.length), duplicate: false };
  }
  async dispatchMany(jobs: readonly NewJob[]): Promise<DispatchResult[]> {
    const results: DispatchResult[] = [];
    for (const job of jobs) results.push(await this.dispatch(job));
    return results;
  }
  async pruneFailed(olderThan: Date): Promise<number> {
    this.pruned.push(olderThan);
    return 3;
  }
  async stats(): Promise<QueueCounts[]> {
    return [];
  }
  async size(): Promise<number> {
    return 0;
  }
  async failed(): Promise<FailedJob[]> {
    return [];
  }
  async retry(): Promise<boolean> {
    return false;
  }
  async retryAll(): Promise<number> {
    return 0;
  }
  async forget(): Promise<boolean> {
    return false;
  }
  async flushFailed(): Promise<number> {
    return 0;
  }
  async ping(): Promise<void> {}
}

function reservedJob(name: string): ReservedJob {
  return { id: '1', name, payload: {}, queue: 'default', tries: 1, backoff: null, timeoutMs: null, uniqueKey: name, attempt: 1, readyAt: 0 };
}

describe('the platform schedule', () => {
  let platform: TestPlatform;
  let services: Services;
  let queue: RecordingQueue;
  before(async () => {
    platform = await createTestPlatform({ LOCK_STORE: 'memory', QUEUE_FAILED_RETENTION_DAYS: '5' });
    await ensureScheduleTables(platform.services);
    queue = new RecordingQueue();
    services = { ...platform.services, queue: new Queue({ driver: 'recording', producer: queue, monitor: queue }), failedJobs: queue };
  });
  after(() => platform?.close());

  it('lists the platform tasks, then every app task, with unique names and valid patterns', () => {
    const tasks = allScheduledTasks(APPS);
    assert.deepEqual(tasks.slice(0, platformSchedule.length).map((t) => t.name), ['sessions:prune', 'queue:prune-failed', 'rbac:warm-cache', 'schedule:prune-runs', 'backup:run']);
    // The nightly search sync comes with the apps' search indexes (src/platform/search-indexes.ts).
    assert.equal(tasks[platformSchedule.length]?.name, 'search:sync');
    assert.equal(tasks.length, platformSchedule.length + 1 + APPS.reduce((n, app) => n + (app.schedule?.length ?? 0), 0));
    const scheduler = new Scheduler(services, tasks); // throws on a bad pattern or a duplicate name
    const from = new Date('2026-06-01T00:05:00.000Z');
    assert.equal(scheduler.nextRun('sessions:prune', from)?.toISOString(), '2026-06-01T01:00:00.000Z', 'hourly');
    assert.equal(scheduler.nextRun('queue:prune-failed', from)?.toISOString(), '2026-06-01T03:00:00.000Z', 'daily');
    assert.equal(scheduler.nextRun('rbac:warm-cache', from)?.toISOString(), '2026-06-01T00:10:00.000Z', 'every 10 minutes');
    assert.equal(scheduler.nextRun('search:sync', from)?.toISOString(), '2026-06-02T00:00:00.000Z', 'nightly at 00:00');
  });

  it('sessions:prune prunes the session store', async () => {
    const real = platform.services.sessions;
    let pruned: number | undefined;
    const sessions: SessionStore = {
      driver: real.driver,
      read: (id) => real.read(id),
      readRecord: (id) => real.readRecord(id),
      write: (id, payload, ttl, userId) => real.write(id, payload, ttl, userId),
      destroy: (id) => real.destroy(id),
      idsOf: (userId) => real.idsOf(userId),
      destroyOf: (userId, exceptId) => real.destroyOf(userId, exceptId),
      prune: async () => (pruned = await real.prune()),
      ping: () => real.ping(),
      close: () => real.close(),
    };
    await real.write('expired-session', 'payload', 1);
    await real.write('live-session', 'payload', 3600);
    await new Promise((r) => setTimeout(r, 1_100));
    const event = await new Scheduler({ ...services, sessions }, platformSchedule).runNow('sessions:prune');
    assert.equal(event.outcome, 'ok', event.error);
    assert.notEqual(pruned, undefined, 'prune() was called');
    // Stores with an expiry of their own (Redis) have nothing to prune.
    if (real.driver === 'sqlite') assert.equal(pruned, 1, 'the expired session was deleted');
    assert.equal(await real.read('live-session'), 'payload');
  });

  it('queue:prune-failed prunes failed jobs older than QUEUE_FAILED_RETENTION_DAYS', async () => {
    const event = await new Scheduler(services, platformSchedule).runNow('queue:prune-failed');
    assert.equal(event.outcome, 'ok', event.error);
    assert.equal(queue.pruned.length, 1);
    const ageDays = (Date.now() - queue.pruned[0]!.getTime()) / 86_400_000;
    assert.ok(Math.abs(ageDays - 5) < 0.01, `cut-off ${ageDays} days ago`);
  });

  it('rbac:warm-cache dispatches one unique rbac.warm-cache job', async () => {
    const event = await new Scheduler(services, platformSchedule).runNow('rbac:warm-cache');
    assert.equal(event.outcome, 'ok', event.error);
    const job = queue.dispatched.at(-1);
    assert.equal(job?.name, 'rbac.warm-cache');
    assert.equal(job?.uniqueKey, 'rbac.warm-cache');
    assert.ok(job && job.name in platformJobs(services), 'a handler exists for the job');
  });

  it('schedule:prune-runs deletes run rows older than 30 days', async () => {
    const runs = new ScheduleRuns(services.databases.get<ScheduleDatabase>('platform'));
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await services.databases.get<ScheduleDatabase>('platform').db
      .insertInto('schedule_runs')
      .values({ task: 'old:task', tick: old, node: 'n', started_at: old, finished_at: old, status: 'ok', error: null })
      .execute();
    await runs.begin('recent:task', new Date().toISOString(), 'n');
    const event = await new Scheduler(services, platformSchedule).runNow('schedule:prune-runs');
    assert.equal(event.outcome, 'ok', event.error);
    assert.equal((await runs.all('old:task')).length, 0);
    assert.equal((await runs.all('recent:task')).length, 1);
  });
});

describe('the rbac.warm-cache job', () => {
  let platform: TestPlatform;
  before(async () => (platform = await createTestPlatform({ LOCK_STORE: 'memory' })));
  after(() => platform?.close());

  const editor: RoleRef = { app: 'flow', role: 'editor' };
  let counter = 0;
  async function user(roles: RoleRef[] = []) {
    counter += 1;
    const created = await platform.services.users.create({ email: `warm${counter}@example.test`, name: `Warm ${counter}`, password: TEST_PASSWORD });
    for (const role of roles) await platform.services.rbac.grant(created.id, role);
    return created;
  }
  const cached = (id: number) => platform.services.cache.get(`rbac:user:${id}`);

  it('caches every user\'s permissions, rewriting stale entries', async () => {
    const [first, second] = [await user([editor]), await user()];
    await platform.services.rbac.forget(first.id);
    // A wrong entry, as a missed invalidation would leave: warming replaces it.
    await platform.services.cache.set(`rbac:user:${second.id}`, { version: 0, principal: { id: second.id, email: 'x', name: 'x', permissions: ['flow.everything'], roles: [] } }, 3600);

    await platformJobs(platform.services)['rbac.warm-cache']!({}, { job: reservedJob('rbac.warm-cache'), signal: new AbortController().signal });

    const entry = (await cached(first.id)) as { principal: { permissions: string[]; roles: string[] } } | undefined;
    assert.ok(entry, 'the first user is cached');
    assert.deepEqual(entry.principal.roles, ['flow:editor']);
    assert.ok(entry.principal.permissions.includes('flow.tasks.create'), JSON.stringify(entry.principal.permissions));
    const principal = await platform.services.rbac.principal(second.id);
    assert.deepEqual(principal?.permissions, [], 'the stale entry was rewritten');
    assert.deepEqual(await platform.services.rbac.principal(first.id), { id: first.id, email: first.email, name: first.name, ...entry.principal });
  });

  it('Rbac.warm caches the given users in one batch, skips unknown ids, and grants still invalidate', async () => {
    const [one, two] = [await user(), await user([editor])];
    await Promise.all([platform.services.rbac.forget(one.id), platform.services.rbac.forget(two.id)]);
    assert.equal(await platform.services.rbac.warm([one.id, two.id, 999_999]), 2);
    assert.ok(await cached(one.id));
    assert.equal(await cached(999_999), undefined);
    await platform.services.rbac.grant(one.id, editor);
    assert.deepEqual((await platform.services.rbac.principal(one.id))?.roles, ['flow:editor'], 'a grant after warming is seen at once');
  });

  it('stops between batches when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('worker stopping'));
    await assert.rejects(
      platformJobs(platform.services)['rbac.warm-cache']!({}, { job: reservedJob('rbac.warm-cache'), signal: controller.signal }),
      /worker stopping/,
    );
  });

  it('does nothing when the RBAC cache is off (RBAC_CACHE_TTL=0)', async () => {
    const off = await createTestPlatform({ LOCK_STORE: 'memory', RBAC_CACHE_TTL: '0' });
    try {
      const created = await off.services.users.create({ email: 'nocache@example.test', name: 'No Cache', password: TEST_PASSWORD });
      assert.equal(await off.services.rbac.warm([created.id]), 0);
      await platformJobs(off.services)['rbac.warm-cache']!({}, { job: reservedJob('rbac.warm-cache'), signal: new AbortController().signal });
      assert.equal(await off.services.cache.get(`rbac:user:${created.id}`), undefined);
    } finally {
      await off.close();
    }
  });
});
