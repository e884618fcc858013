import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { RedisTelemetryStore } from '../../src/telemetry/redis.ts';
import { DatabaseTelemetryStore } from '../../src/telemetry/database.ts';
import { MAX_ROUTES, minuteOf, OTHER_KEY, WINDOW_MINUTES, type TelemetryStore } from '../../src/telemetry/contract.ts';
import type { TelemetryDatabase } from '../../src/telemetry/schema.ts';
import { TelemetryRecorder } from '../../src/telemetry/recorder.ts';
import { startTelemetryReporter } from '../../src/telemetry/reporter.ts';
import { createTestPlatform, type TestPlatform } from '../support/platform.ts';
import { openRedisPair, redisService, type RedisPair } from './redis-fixture.ts';

const redis = await redisService();
const logger = createLogger({ logLevel: 'silent' });

interface Opened {
  readonly store: TelemetryStore;
  /** The most rows/keys `nodes` nodes that reported within the window may hold: the bound for this driver. */
  bound(nodes: number): number;
  close(): Promise<void>;
}

const drivers: { name: string; open: () => Promise<Opened>; skip?: string | false | undefined }[] = [
  {
    name: 'database',
    async open() {
      const platform: TestPlatform = await createTestPlatform();
      // A sample row per node and minute, plus one row per node.
      return { store: new DatabaseTelemetryStore(platform.services.databases.get<TelemetryDatabase>('platform')), bound: (n) => n * WINDOW_MINUTES + n, close: () => platform.close() };
    },
  },
  {
    name: 'redis',
    async open() {
      const pair: RedisPair = await openRedisPair();
      // A hash per minute (every node's sample in it), plus `nodes` and `minutes`.
      return { store: new RedisTelemetryStore(pair.first, `${pair.prefix}telemetry:`), bound: () => WINDOW_MINUTES + 2, close: pair.close };
    },
    skip: redis.skipReason,
  },
];

for (const driver of drivers) {
  describe(`telemetry store: ${driver.name}`, { skip: driver.skip ?? false }, () => {
    let opened: Opened;
    before(async () => {
      opened = await driver.open();
    });
    after(() => opened?.close());

    it('keeps a day at one-minute resolution for two nodes, and never more (faked clock)', async () => {
      const start = Date.parse('2026-12-01T00:00:00Z');
      const clock = { now: start };
      const nodes = ['web-1:1', 'worker-1:2'].map((node) => {
        const recorder = new TelemetryRecorder(() => clock.now);
        const reporter = startTelemetryReporter({ store: opened.store, roles: ['web'], logger, node, recorder, clock: () => clock.now, intervalMs: 3_600_000 });
        return { recorder, reporter };
      });
      // A third node reports in the first hour only, then dies: it is forgotten after the window.
      const gone = startTelemetryReporter({ store: opened.store, roles: ['web'], logger, node: 'gone:3', recorder: new TelemetryRecorder(() => clock.now), clock: () => clock.now, intervalMs: 3_600_000 });
      let most = 0;
      const minutes = WINDOW_MINUTES + 120;
      for (let i = 0; i < minutes; i++) {
        clock.now = start + i * 60_000 + 30_000;
        for (const { recorder } of nodes) {
          recorder.request('GET flow /api/tasks', 200, 3 + (i % 50));
          recorder.job('default', 'links.clicks', i % 7 === 0 ? 'failed' : 'completed', 20, 5 + i);
          // One minute with far more routes than a sample keeps.
          if (i === 10) for (let r = 0; r < 3 * MAX_ROUTES; r++) recorder.request(`GET links /r${r}`, 200, 1);
        }
        for (const { reporter } of nodes) await reporter.flush();
        if (i < 59) await gone.flush();
        if (i === 59) await gone.stop();
        if (i % 60 === 59) most = Math.max(most, await opened.store.footprint());
      }
      // Three nodes reported within the first day; two in the last.
      assert.ok(most <= opened.bound(3), `held ${most} rows/keys; the bound is ${opened.bound(3)}`);
      const now = await opened.store.footprint();
      assert.ok(now <= opened.bound(2), `holds ${now} rows/keys; the bound is ${opened.bound(2)}`);
      const last = minuteOf(clock.now);
      const kept = await opened.store.samples(0);
      assert.equal(Math.min(...kept.map((s) => s.sample.minute)), last - WINDOW_MINUTES + 1, 'the oldest minute kept is exactly 24 h back');
      assert.equal(kept.filter((s) => s.node === 'web-1:1').length, WINDOW_MINUTES);
      assert.deepEqual((await opened.store.nodes()).map((n) => n.node), ['web-1:1', 'worker-1:2'], 'the node that stopped beating a day ago is forgotten');
      for (const { reporter } of nodes) await reporter.stop();
    });

    it('caps the keys of one minute and keeps what each node wrote apart', async () => {
      const clock = { now: Date.parse('2026-12-05T10:00:10Z') };
      const a = new TelemetryRecorder(() => clock.now);
      for (let r = 0; r < MAX_ROUTES + 50; r++) a.request(`GET links /cap${r}`, r % 10 === 0 ? 503 : 200, 1);
      const reporter = startTelemetryReporter({ store: opened.store, roles: ['web'], logger, node: 'cap:1', recorder: a, clock: () => clock.now, intervalMs: 3_600_000 });
      await reporter.flush();
      a.request('GET links /cap0', 200, 2);
      await reporter.flush();
      const mine = (await opened.store.samples(minuteOf(clock.now))).filter((s) => s.node === 'cap:1');
      assert.equal(mine.length, 1, 'the open minute is rewritten, not added to');
      const requests = mine[0]!.sample.requests;
      assert.equal(Object.keys(requests).length, MAX_ROUTES + 1);
      assert.equal(requests[OTHER_KEY]!.count, 50);
      assert.equal(requests['GET links /cap0']!.count, 2);
      assert.equal(requests['GET links /cap0']!.errors, 1);
      await reporter.stop();
    });
  });
}
