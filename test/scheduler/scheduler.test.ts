import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, type TestPlatform } from '../support/platform.ts';
import { InvalidScheduleError, Scheduler, TICK_LOCK_TTL_MS, UnknownTaskError, type TickEvent } from '../../src/scheduler/scheduler.ts';
import { ensureScheduleTables, nextSecond, sleep, task, until } from './support.ts';

// The Scheduler in one process, on each embedded lock store, with tasks firing every second.
for (const lockStore of ['memory', 'sqlite'] as const) {
  describe(`Scheduler (${lockStore} locks)`, { timeout: 60_000 }, () => {
    let platform: TestPlatform;
    before(async () => {
      platform = await createTestPlatform({ LOCK_STORE: lockStore });
      await ensureScheduleTables(platform.services);
    });
    after(() => platform?.close());

    it('names its node as the deployment does (MARG_NODE_NAME), else host:pid', async () => {
      assert.match(new Scheduler(platform.services, []).node, /^.+:\d+$/);
      const named = await createTestPlatform({ LOCK_STORE: lockStore, MARG_NODE_NAME: 'scheduler-7' });
      try {
        assert.equal(new Scheduler(named.services, []).node, 'scheduler-7');
      } finally {
        await named.close();
      }
    });

    it('runs a task on every tick and records one row per tick', async () => {
      const ran: Date[] = [];
      const events: TickEvent[] = [];
      const scheduler = new Scheduler(
        platform.services,
        [task(`every-second-${lockStore}`, async (_s, _signal, run) => void ran.push(run.tick))],
        { node: 'node-a', onTick: (e) => events.push(e) },
      );
      await nextSecond(200);
      scheduler.start();
      await sleep(3_500);
      await scheduler.stop();
      const count = events.length;
      await sleep(1_200);
      assert.equal(events.length, count, 'no tick fires after stop()');

      assert.ok(ran.length >= 3 && ran.length <= 4, `3-4 ticks in 3.5 s, got ${ran.length}`);
      assert.ok(events.every((e) => e.outcome === 'ok' && e.node === 'node-a'), JSON.stringify(events));
      for (const tick of ran) assert.equal(tick.getMilliseconds(), 0, 'a tick is the scheduled second, not the moment the timer fired');
      const seconds = ran.map((t) => t.getTime() / 1000);
      for (let i = 1; i < seconds.length; i++) assert.equal(seconds[i]! - seconds[i - 1]!, 1, 'consecutive seconds');

      const rows = await scheduler.runs.all(`every-second-${lockStore}`);
      assert.deepEqual(rows.map((r) => r.tick), ran.map((t) => t.toISOString()));
      for (const row of rows) {
        assert.equal(row.status, 'ok');
        assert.equal(row.node, 'node-a');
        assert.equal(row.error, null);
        assert.ok(row.finishedAt && row.finishedAt >= row.startedAt);
      }
    });

    it('keeps each tick single between two schedulers sharing the lock store, and a late one cannot take a finished tick', async () => {
      const name = `shared-${lockStore}`;
      const events: TickEvent[] = [];
      const ranBy: string[] = [];
      const make = (node: string) => new Scheduler(platform.services, [task(name, async (_s, _signal, run) => void ranBy.push(`${run.tick.toISOString()} ${run.node}`))], { node, onTick: (e) => events.push(e) });
      const [a, b] = [make('node-a'), make('node-b')];
      await nextSecond(200);
      a.start();
      b.start();
      await sleep(3_500);
      await Promise.all([a.stop(), b.stop()]);

      const ticks = [...new Set(events.map((e) => e.tick))];
      assert.ok(ticks.length >= 3, `ticks: ${ticks.join(', ')}`);
      for (const tick of ticks) {
        const onTick = events.filter((e) => e.tick === tick);
        assert.equal(onTick.length, 2, `both schedulers saw ${tick}`);
        assert.deepEqual(onTick.map((e) => e.outcome).sort(), ['ok', 'taken'], `exactly one ran ${tick}: ${JSON.stringify(onTick)}`);
      }
      assert.equal(ranBy.length, ticks.length);
      const rows = await a.runs.all(name);
      assert.equal(rows.length, ticks.length, 'one row per tick');

      // The tick lock is kept after the run: a scheduler arriving late finds the tick taken.
      const late = await platform.services.locks.acquire(`schedule:${name}:${ticks[0]}`, TICK_LOCK_TTL_MS, 'late-node');
      assert.equal(late, undefined, 'the tick lock outlives the run');
    });

    it('skips a tick while the previous run still holds the overlap lock, and overlaps when allowed', async () => {
      const make = (name: string, withoutOverlapping: boolean) => {
        let running = 0;
        let maxRunning = 0;
        const events: TickEvent[] = [];
        const scheduler = new Scheduler(
          platform.services,
          [
            task(
              name,
              async () => {
                running += 1;
                maxRunning = Math.max(maxRunning, running);
                await sleep(2_300);
                running -= 1;
              },
              { withoutOverlapping },
            ),
          ],
          { onTick: (e) => events.push(e) },
        );
        return { scheduler, events, maxRunning: () => maxRunning };
      };
      const exclusive = make(`slow-${lockStore}`, true);
      const overlapping = make(`slow-overlapping-${lockStore}`, false);
      await nextSecond(200);
      exclusive.scheduler.start();
      overlapping.scheduler.start();
      await sleep(3_300);
      await Promise.all([exclusive.scheduler.stop(), overlapping.scheduler.stop()]);

      assert.equal(exclusive.maxRunning(), 1, 'never two runs at once');
      const outcomes = exclusive.events.map((e) => e.outcome);
      assert.ok(outcomes.includes('skipped-overlap'), `a tick was skipped: ${outcomes.join(',')}`);
      assert.ok(outcomes.filter((o) => o === 'ok').length >= 1);
      const rows = await exclusive.scheduler.runs.all(`slow-${lockStore}`);
      assert.deepEqual(rows.map((r) => r.status).sort(), outcomes.slice().sort(), 'skips are recorded too');
      assert.ok(rows.filter((r) => r.status === 'skipped-overlap').every((r) => r.finishedAt !== null));

      assert.ok(overlapping.maxRunning() >= 2, 'withoutOverlapping: false lets runs overlap');
      assert.ok(overlapping.events.every((e) => e.outcome === 'ok'));
    });

    it('records a failing task with its error and keeps firing', async () => {
      const name = `flaky-${lockStore}`;
      let calls = 0;
      const events: TickEvent[] = [];
      const scheduler = new Scheduler(
        platform.services,
        [
          task(name, async () => {
            calls += 1;
            if (calls === 1) throw new Error('boom on the first tick');
          }),
        ],
        { onTick: (e) => events.push(e) },
      );
      await nextSecond(200);
      scheduler.start();
      await until(() => events.length >= 3, 6_000, 'three ticks');
      await scheduler.stop();

      assert.equal(events[0]!.outcome, 'failed');
      assert.equal(events[0]!.error, 'boom on the first tick');
      assert.ok(events.slice(1).every((e) => e.outcome === 'ok'), 'the schedule goes on after a failure');
      const rows = await scheduler.runs.all(name);
      assert.equal(rows[0]!.status, 'failed');
      assert.equal(rows[0]!.error, 'boom on the first tick');
      assert.ok(rows.slice(1).every((r) => r.status === 'ok'));
      // The failed run released its overlap lock.
      const probe = await platform.services.locks.acquire(`schedule:${name}:running`, 1_000, 'probe');
      assert.ok(probe);
      await probe.release();
    });

    it('runNow runs a task outside its cron, once, and honours the overlap lock', async () => {
      const name = `yearly-${lockStore}`;
      let calls = 0;
      const scheduler = new Scheduler(platform.services, [task(name, async () => void (calls += 1), { cron: '0 0 1 1 *' })]);
      const before = Date.now();
      const event = await scheduler.runNow(name);
      assert.equal(event.outcome, 'ok');
      assert.equal(calls, 1);
      assert.ok(Date.parse(event.tick) >= before - 1 && Date.parse(event.tick) <= Date.now(), 'a manual run is recorded at its start');
      const [row] = await scheduler.runs.all(name);
      assert.equal(row?.status, 'ok');

      const elsewhere = await platform.services.locks.acquire(`schedule:${name}:running`, 10_000, 'another-node');
      assert.ok(elsewhere);
      try {
        const skipped = await scheduler.runNow(name);
        assert.equal(skipped.outcome, 'skipped-overlap');
        assert.equal(calls, 1, 'not run while another node runs it');
      } finally {
        await elsewhere.release();
      }
      assert.throws(() => scheduler.runNow('no-such-task'), UnknownTaskError);
    });

    it('aborts a run at its maximum runtime and frees the task', async () => {
      const name = `hung-${lockStore}`;
      const scheduler = new Scheduler(platform.services, [
        task(name, (_s, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))), { maxRuntimeMs: 300 }),
      ]);
      const started = Date.now();
      const event = await scheduler.runNow(name);
      assert.equal(event.outcome, 'failed');
      assert.match(event.error ?? '', /ran longer than 300 ms/);
      assert.ok(Date.now() - started < 3_000);
      const probe = await platform.services.locks.acquire(`schedule:${name}:running`, 1_000, 'probe');
      assert.ok(probe, 'the overlap lock was released');
      await probe.release();
    });

    it('stop() waits for a running task, and aborts it after the grace period', async () => {
      let finished = false;
      const patient = new Scheduler(platform.services, [task(`patient-${lockStore}`, async () => { await sleep(400); finished = true; })]);
      const run = patient.runNow(`patient-${lockStore}`);
      await sleep(50);
      await patient.stop();
      assert.equal(finished, true, 'stop() returned only after the task finished');
      assert.equal((await run).outcome, 'ok');

      const stubborn = new Scheduler(platform.services, [
        task(`stubborn-${lockStore}`, (_s, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))),
      ]);
      const pending = stubborn.runNow(`stubborn-${lockStore}`);
      await sleep(50);
      const begun = Date.now();
      await stubborn.stop(200);
      assert.ok(Date.now() - begun < 2_000, 'bounded by the grace period');
      const event = await pending;
      assert.equal(event.outcome, 'failed');
      assert.match(event.error ?? '', /stopping/);
    });
  });
}

describe('Scheduler configuration', () => {
  let platform: TestPlatform;
  before(async () => (platform = await createTestPlatform({ LOCK_STORE: 'memory' })));
  after(() => platform?.close());

  it('refuses bad patterns, time zones and duplicate names at construction', () => {
    const noop = async () => {};
    assert.throws(() => new Scheduler(platform.services, [task('bad', noop, { cron: 'every minute' })]), (e: unknown) => e instanceof InvalidScheduleError && /bad.*every minute/.test(e.message));
    assert.throws(() => new Scheduler(platform.services, [task('tz', noop, { cron: '0 * * * *', timezone: 'Mars/Olympus' })]), InvalidScheduleError);
    assert.throws(() => new Scheduler(platform.services, [task('twice', noop), task('twice', noop)]), /two scheduled tasks are named "twice"/);
    assert.throws(() => new Scheduler(platform.services, [task('has space', noop)]), InvalidScheduleError);
  });

  it('reads patterns in UTC by default, or in the task\'s zone', () => {
    const noop = async () => {};
    const scheduler = new Scheduler(platform.services, [task('utc', noop, { cron: '0 3 * * *' }), task('kolkata', noop, { cron: '0 3 * * *', timezone: 'Asia/Kolkata' })]);
    const from = new Date('2026-06-01T00:00:00.000Z');
    assert.equal(scheduler.nextRun('utc', from)?.toISOString(), '2026-06-01T03:00:00.000Z');
    assert.equal(scheduler.nextRun('kolkata', from)?.toISOString(), '2026-06-01T21:30:00.000Z');
  });
});
