import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { JsonValue, QueueBackend, ReservedJob } from '../../src/queue/contract.ts';
import type { JobHandler, JobHandlers } from '../../src/queue/jobs.ts';
import { backoffDelay, normalise } from '../../src/queue/queue.ts';
import { QueueWorker, type WorkerOptions } from '../../src/queue/worker.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { until } from '../support/wait.ts';
import { sleep, type ContractOptions, type Fixture } from './fixture.ts';

/** A driver with reservations of `retryAfterMs`; `second` is another instance on the same store. */
export type QueueFactory = (options: { retryAfterMs: number }) => Promise<Fixture<QueueBackend>>;

const silent = createLogger({ logLevel: 'silent' });
const byValue = (a: JsonValue, b: JsonValue) => String(a).localeCompare(String(b));

/** The behaviour every queue driver shares (src/queue/contract.ts), run through the one worker runtime. */
export function describeQueueContract(driverName: string, factory: QueueFactory, options: ContractOptions = {}): void {
  describe(`queue contract: ${driverName}`, { skip: options.skip, concurrency: true }, () => {
    async function setup(t: TestContext, retryAfterMs = 5_000): Promise<Fixture<QueueBackend>> {
      const fixture = await factory({ retryAfterMs });
      t.after(() => fixture.close());
      return fixture;
    }

    function work(t: TestContext, driver: QueueBackend, handlers: JobHandlers, overrides: Partial<WorkerOptions> = {}): QueueWorker {
      const worker = new QueueWorker(driver.source, driver.monitor, handlers, { queues: ['default'], concurrency: 1, tries: 1, timeoutMs: 5_000, idleMs: 20, graceMs: 5_000, ...overrides }, silent);
      void worker.run();
      t.after(() => worker.stop());
      return worker;
    }

    const dispatch = (driver: QueueBackend, name: string, payload: JsonValue, opts: Parameters<typeof normalise>[2] = {}) => driver.producer.dispatch(normalise(name, payload, opts));

    it('runs a dispatched job once with its payload, then it is gone', async (t) => {
      const { store } = await setup(t);
      const seen: JsonValue[] = [];
      const { id, duplicate } = await dispatch(store, 'test.echo', { text: 'héllo', n: [1, 2] });
      assert.equal(duplicate, false);
      assert.match(id, /\S/);
      work(t, store, { 'test.echo': async (payload) => void seen.push(payload) });
      await until(() => seen.length === 1);
      await until(async () => (await store.monitor.size()) === 0);
      await sleep(100);
      assert.deepEqual(seen, [{ text: 'héllo', n: [1, 2] }]);
    });

    it('takes jobs from earlier queues first', async (t) => {
      const { store } = await setup(t);
      const order: string[] = [];
      for (const q of ['low', 'low', 'high', 'default', 'high']) await dispatch(store, 'test.q', q, { queue: q });
      work(t, store, { 'test.q': async (p) => void order.push(String(p)) }, { queues: ['high', 'default', 'low'] });
      await until(() => order.length === 5);
      assert.deepEqual(order, ['high', 'high', 'default', 'low', 'low']);
    });

    it('holds a delayed job until it is due, and counts it as delayed meanwhile', async (t) => {
      const { store } = await setup(t);
      const dispatched = Date.now();
      let ranAt = 0;
      await dispatch(store, 'test.later', null, { delayMs: 600 });
      const [counts] = await store.monitor.stats(['default']);
      assert.equal(counts?.delayed, 1);
      assert.equal(counts?.waiting, 0);
      work(t, store, { 'test.later': async () => void (ranAt = Date.now()) });
      await until(() => ranAt > 0);
      assert.ok(ranAt - dispatched >= 590, `ran after ${ranAt - dispatched} ms`);
    });

    // Wait time (issue 18): from when a delivery became due to its start. Bounds use only times the test
    // read before or after the store's, so they hold however loaded the machine is.
    it('reports a wait that excludes a delay, and at least the time a job was kept waiting', async (t) => {
      const { store } = await setup(t);
      const delayMs = 1_000;
      const before = Date.now();
      await dispatch(store, 'test.wait', 'now');
      await dispatch(store, 'test.wait', 'later', { delayMs });
      const after = Date.now();
      await sleep(1_500);
      const workerStarted = Date.now();
      const startedAt = new Map<string, number>();
      const waits = new Map<string, number>();
      const worker = work(t, store, { 'test.wait': async (p) => void startedAt.set(String(p), Date.now()) });
      worker.onJob = (event) => waits.set(String(event.job.payload), event.waitMs);
      await until(() => waits.size === 2);
      assert.ok(waits.get('now')! >= workerStarted - after, `waited ${waits.get('now')} ms, kept ${workerStarted - after} ms`);
      const laterMax = startedAt.get('later')! - (before + delayMs);
      assert.ok(waits.get('later')! <= laterMax, `the delayed job reported ${waits.get('later')} ms: more than ${laterMax} ms after its delay ended`);
      assert.ok(waits.get('later')! >= workerStarted - (after + delayMs), `the delayed job reported ${waits.get('later')} ms`);
    });

    it("reports a retry's wait from the end of its backoff, and an operator's retry from the retry", async (t) => {
      const { store } = await setup(t);
      const backoffMs = 800;
      const runs: { attempt: number; startedAt: number; endedAt: number; waitMs?: number }[] = [];
      await dispatch(store, 'test.again', null, { tries: 2, backoff: { type: 'fixed', delayMs: backoffMs } });
      const worker = work(t, store, {
        'test.again': async (_p, { job }) => {
          runs.push({ attempt: job.attempt, startedAt: Date.now(), endedAt: 0 });
          await sleep(300);
          runs.at(-1)!.endedAt = Date.now();
          throw new Error(`no ${job.attempt}`);
        },
      });
      worker.onJob = (event) => (runs.at(-1)!.waitMs = event.waitMs);
      await until(async () => (await store.failedJobs.failed(10)).length === 1);
      assert.equal(runs.length, 2);
      const retryMax = runs[1]!.startedAt - (runs[0]!.endedAt + backoffMs);
      assert.ok(runs[1]!.waitMs! <= retryMax, `the retry reported ${runs[1]!.waitMs} ms: more than ${retryMax} ms after its backoff ended`);

      await sleep(500);
      const [failed] = await store.failedJobs.failed(10);
      const retriedAt = Date.now();
      assert.equal(await store.failedJobs.retry(failed!.id), true);
      await until(() => runs.length === 3 && runs[2]!.waitMs !== undefined);
      const operatorMax = runs[2]!.startedAt - retriedAt;
      assert.ok(runs[2]!.waitMs! <= operatorMax, `the operator's retry reported ${runs[2]!.waitMs} ms: more than ${operatorMax} ms since the retry`);
    });

    it('retries a failing job after its fixed backoff until it succeeds within its tries', async (t) => {
      const { store } = await setup(t);
      const attempts: { attempt: number; at: number }[] = [];
      await dispatch(store, 'test.flaky', null, { tries: 3, backoff: { type: 'fixed', delayMs: 250 } });
      work(t, store, {
        'test.flaky': async (_p, { job }) => {
          attempts.push({ attempt: job.attempt, at: Date.now() });
          if (job.attempt < 3) throw new Error(`boom ${job.attempt}`);
        },
      });
      await until(() => attempts.length === 3);
      await until(async () => (await store.monitor.size()) === 0);
      assert.deepEqual(attempts.map((a) => a.attempt), [1, 2, 3]);
      for (let i = 1; i < 3; i++) assert.ok(attempts[i]!.at - attempts[i - 1]!.at >= 240, 'waited the backoff');
      assert.deepEqual(await store.failedJobs.failed(10), []);
    });

    it('backs off exponentially', async (t) => {
      assert.deepEqual([1, 2, 3].map((r) => backoffDelay({ type: 'exponential', delayMs: 100 }, r)), [100, 200, 400]);
      const { store } = await setup(t);
      const at: number[] = [];
      await dispatch(store, 'test.exp', null, { tries: 3, backoff: { type: 'exponential', delayMs: 150 } });
      work(t, store, {
        'test.exp': async () => {
          at.push(Date.now());
          throw new Error('always');
        },
      });
      await until(() => at.length === 3);
      assert.ok(at[1]! - at[0]! >= 140 && at[2]! - at[1]! >= 290, `gaps ${at[1]! - at[0]!}, ${at[2]! - at[1]!}`);
    });

    it('keeps a job that failed its last try, with its error; retry, forget and flush manage it', async (t) => {
      const { store } = await setup(t);
      let fail = true;
      const runs: number[] = [];
      await dispatch(store, 'test.bad', { keep: 'me' }, { tries: 2, queue: 'mail' });
      work(
        t,
        store,
        {
          'test.bad': async (_p, { job }) => {
            runs.push(job.attempt);
            if (fail) throw new TypeError('the mail server said no');
          },
        },
        { queues: ['mail'] },
      );
      await until(async () => (await store.failedJobs.failed(10)).length === 1);
      const [failed] = await store.failedJobs.failed(10);
      assert.equal(failed?.name, 'test.bad');
      assert.equal(failed?.queue, 'mail');
      assert.equal(failed?.attempts, 2);
      assert.deepEqual(failed?.payload, { keep: 'me' });
      assert.match(failed?.error ?? '', /TypeError: the mail server said no/);
      assert.ok(!Number.isNaN(Date.parse(failed?.failedAt ?? '')));
      assert.equal((await store.monitor.stats(['mail']))[0]?.failed, 1);
      assert.equal(await store.monitor.size(), 0, 'a failed job is not pending');

      fail = false;
      assert.equal(await store.failedJobs.retry(failed!.id), true);
      await until(() => runs.length === 3);
      assert.equal(runs[2], 1, 'a retried job starts its tries again');
      await until(async () => (await store.failedJobs.failed(10)).length === 0);

      assert.equal(await store.failedJobs.retry('no-such-job'), false);
      assert.equal(await store.failedJobs.retry('999999'), false);
      assert.equal(await store.failedJobs.forget('999999'), false);

      fail = true;
      for (let i = 0; i < 3; i++) await dispatch(store, 'test.bad', i, { tries: 1, queue: 'mail' });
      await until(async () => (await store.failedJobs.failed(10)).length === 3);
      const newest = (await store.failedJobs.failed(10))[0]!;
      assert.deepEqual(newest.payload, 2, 'newest first');
      assert.equal(await store.failedJobs.forget(newest.id), true);
      assert.equal(await store.failedJobs.forget(newest.id), false);
      assert.equal(await store.failedJobs.flushFailed('other'), 0);
      assert.equal(await store.failedJobs.pruneFailed(new Date(Date.now() - 60_000)), 0, 'none older than a minute');
      assert.equal(await store.failedJobs.flushFailed(), 2);
      assert.deepEqual(await store.failedJobs.failed(10), []);
    });

    it('retryAll puts every failed job back', async (t) => {
      const { store } = await setup(t);
      let fail = true;
      let done = 0;
      for (let i = 0; i < 3; i++) await dispatch(store, 'test.later-ok', i, { tries: 1 });
      work(t, store, {
        'test.later-ok': async () => {
          if (fail) throw new Error('not yet');
          done += 1;
        },
      });
      await until(async () => (await store.failedJobs.failed(10)).length === 3);
      fail = false;
      assert.equal(await store.failedJobs.retryAll(), 3);
      await until(() => done === 3);
      assert.equal(await store.failedJobs.pruneFailed(new Date(Date.now() + 60_000)), 0);
    });

    it('aborts a job past its timeout and fails it (or retries it while tries remain)', async (t) => {
      const { store } = await setup(t);
      const aborted: boolean[] = [];
      const slow: JobHandler = (_p, { signal }) =>
        new Promise((resolve) => {
          const timer = setTimeout(resolve, 10_000);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            aborted.push(true);
            resolve();
          });
        });
      await dispatch(store, 'test.slow', null, { timeoutMs: 200, tries: 2 });
      work(t, store, { 'test.slow': slow });
      await until(async () => (await store.failedJobs.failed(10)).length === 1);
      assert.equal(aborted.length, 2, 'aborted on both tries');
      assert.match((await store.failedJobs.failed(10))[0]!.error, /timed out after 200 ms/);
    });

    it('a handler that looks at its signal only after the timeout finds it aborted, with the timeout as reason', async (t) => {
      const { store } = await setup(t);
      const seen: { aborted: boolean; reason: string }[] = [];
      const late: JobHandler = async (_p, context) => {
        await sleep(400);
        seen.push({ aborted: context.signal.aborted, reason: String(context.signal.reason) });
      };
      await dispatch(store, 'test.late', null, { timeoutMs: 100, tries: 1 });
      work(t, store, { 'test.late': late });
      await until(() => seen.length === 1);
      assert.deepEqual(seen, [{ aborted: true, reason: seen[0]!.reason }]);
      assert.match(seen[0]!.reason, /JobTimeoutError: job test\.late \(\S+\) timed out after 100 ms/);
    });

    it('fails a job no handler knows, naming it', async (t) => {
      const { store } = await setup(t);
      await dispatch(store, 'test.unknown', null, { tries: 3 });
      work(t, store, { 'test.known': async () => {} });
      await until(async () => (await store.failedJobs.failed(10)).length === 1);
      assert.match((await store.failedJobs.failed(10))[0]!.error, /no handler for job "test\.unknown"/);
    });

    it('drops a second dispatch with the same unique key while the first is pending, and frees the key after', async (t) => {
      const { store } = await setup(t);
      const first = await dispatch(store, 'test.unique', 1, { uniqueKey: 'report:2026-11-22', delayMs: 300 });
      const second = await dispatch(store, 'test.unique', 2, { uniqueKey: 'report:2026-11-22' });
      assert.deepEqual(second, { id: first.id, duplicate: true });
      const other = await dispatch(store, 'test.unique', 3, { uniqueKey: 'report:2026-11-23' });
      assert.equal(other.duplicate, false);
      const seen: JsonValue[] = [];
      work(t, store, { 'test.unique': async (p) => void seen.push(p) });
      await until(() => seen.length === 2);
      await until(async () => (await store.monitor.size()) === 0);
      assert.deepEqual([...seen].sort(), [1, 3]);
      const again = await dispatch(store, 'test.unique', 4, { uniqueKey: 'report:2026-11-22' });
      assert.equal(again.duplicate, false);
      await until(() => seen.length === 3);
    });

    it('dispatchMany queues many jobs at once over several queues, results in order, unique keys honoured', async (t) => {
      const { store } = await setup(t);
      const held = await dispatch(store, 'test.many', 'held', { uniqueKey: 'many:held', delayMs: 400 });
      const jobs = [
        normalise('test.many', 0, {}),
        normalise('test.many', 1, { queue: 'low' }),
        normalise('test.many', 'dup', { uniqueKey: 'many:held' }),
        normalise('test.many', 2, { uniqueKey: 'many:fresh' }),
        ...Array.from({ length: 60 }, (_, i) => normalise('test.many', 10 + i, i % 2 ? { queue: 'low' } : {})),
      ];
      const results = await store.producer.dispatchMany(jobs);
      assert.equal(results.length, jobs.length);
      assert.deepEqual(results[2], { id: held.id, duplicate: true }, 'the held key reports its holder');
      const fresh = results.filter((r) => !r.duplicate);
      assert.equal(fresh.length, jobs.length - 1);
      assert.equal(new Set([...fresh.map((r) => r.id), held.id]).size, jobs.length, 'every new job has an id of its own');
      assert.deepEqual(await store.producer.dispatchMany([]), []);

      const seen: JsonValue[] = [];
      work(t, store, { 'test.many': async (p) => void seen.push(p) }, { queues: ['default', 'low'], concurrency: 4 });
      await until(() => seen.length === jobs.length, 20_000);
      await until(async () => (await store.monitor.size()) === 0);
      await sleep(100);
      const expected: JsonValue[] = ['held', 0, 1, 2, ...Array.from({ length: 60 }, (_, i) => 10 + i)];
      assert.deepEqual([...seen].sort(byValue), expected.sort(byValue), 'each job ran exactly once');
    });

    it('runs up to `concurrency` jobs at once', async (t) => {
      const { store } = await setup(t);
      let now = 0;
      let peak = 0;
      let done = 0;
      for (let i = 0; i < 12; i++) await dispatch(store, 'test.parallel', i);
      work(
        t,
        store,
        {
          'test.parallel': async () => {
            peak = Math.max(peak, ++now);
            await sleep(60);
            now -= 1;
            done += 1;
          },
        },
        { concurrency: 4 },
      );
      await until(() => done === 12);
      assert.equal(peak, 4);
    });

    it('stop() lets running jobs finish and takes no new ones', async (t) => {
      const { store } = await setup(t);
      let finished = 0;
      let started = 0;
      for (let i = 0; i < 3; i++) await dispatch(store, 'test.stop', i);
      const worker = work(
        t,
        store,
        {
          'test.stop': async () => {
            started += 1;
            await sleep(300);
            finished += 1;
          },
        },
        { concurrency: 2 },
      );
      await until(() => started === 2);
      await worker.stop();
      assert.equal(finished, 2, 'the running jobs finished');
      await sleep(100);
      assert.equal(started, 2, 'nothing new started');
      assert.equal(await store.monitor.size(), 1, 'the third job is still queued');
    });

    it('a stop that outlasts the grace period hands running jobs back without using up a try', async (t) => {
      const fixture = await setup(t);
      await dispatch(fixture.store, 'test.long', null, { tries: 1 });
      let started = 0;
      const worker = work(t, fixture.store, { 'test.long': () => new Promise<void>((resolve) => (started += 1, setTimeout(resolve, 2_000))) }, { graceMs: 100, timeoutMs: 10_000 });
      await until(() => started === 1);
      await worker.stop();
      const seen: ReservedJob[] = [];
      work(t, fixture.second ?? fixture.store, { 'test.long': async (_p, { job }) => void seen.push(job) });
      await until(() => seen.length === 1, 4_000);
      assert.equal(seen[0]!.attempt, 1, 'the handed-back delivery did not count');
    });

    it('two workers share the jobs: each runs exactly once', async (t) => {
      const fixture = await setup(t);
      const counts = new Map<number, number>();
      const handler: JobHandler = async (p) => {
        counts.set(Number(p), (counts.get(Number(p)) ?? 0) + 1);
        await sleep(2);
      };
      for (let i = 0; i < 150; i++) await dispatch(fixture.store, 'test.shared', i);
      const a = work(t, fixture.store, { 'test.shared': handler }, { concurrency: 4 });
      const b = work(t, fixture.second ?? fixture.store, { 'test.shared': handler }, { concurrency: 4 });
      await until(() => counts.size === 150, 20_000);
      await until(async () => (await fixture.store.monitor.size()) === 0);
      assert.ok([...counts.values()].every((n) => n === 1), 'no job ran twice');
      if (fixture.second) assert.ok(a.processed > 0 && b.processed > 0, `both worked (${a.processed}, ${b.processed})`);
    });

    it('reports per-queue counts and the total size', async (t) => {
      const { store } = await setup(t);
      await dispatch(store, 'test.count', 1, { queue: 'reports' });
      await dispatch(store, 'test.count', 2, { queue: 'reports', delayMs: 60_000 });
      await dispatch(store, 'test.count', 3, { queue: 'images' });
      assert.equal(await store.monitor.size(), 3);
      const stats = await store.monitor.stats(['reports', 'images', 'empty']);
      const by = Object.fromEntries(stats.map((s) => [s.queue, s]));
      assert.deepEqual({ ...by.reports, perMinute: 0 }, { queue: 'reports', waiting: 1, running: 0, delayed: 1, failed: 0, perMinute: 0 });
      assert.equal(by.images?.waiting, 1);
      assert.equal(by.empty?.waiting, 0);
    });
  });
}
