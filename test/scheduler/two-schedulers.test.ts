import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RawEnv } from '../../src/config/env-files.ts';
import { ScheduleRuns } from '../../src/scheduler/runs.ts';
import type { ScheduleDatabase } from '../../src/scheduler/schema.ts';
import type { TickEvent } from '../../src/scheduler/scheduler.ts';
import { serverService, SERVERS } from '../contract/database.fixture.ts';
import { redisService } from '../contract/redis-fixture.ts';
import { cleanEnv } from '../support/cli.ts';
import { createTestPlatform, type TestPlatform } from '../support/platform.ts';
import { ensureScheduleTables, sleep, until } from './support.ts';

// DESIGN §1 / issue 4: any number of schedulers may run; a lock keeps each tick single.
// Two real scheduler processes share one storage (embedded: SQLite locks and database
// files; servers: Redis locks and a MariaDB platform database) and run a task every second.

const FIXTURE = resolve(import.meta.dirname, '../fixtures/scheduler-node.ts');
const TSX = import.meta.resolve('tsx');
const RUN_MS = 5_000;
const STOP_TIMEOUT_MS = 10_000;

const [redis, mariadb] = await Promise.all([redisService(), serverService('mysql')]);

/** The variables that pick a platform's backends, for a child that must share them. */
const BACKEND = /^(DB_|(ACCOUNTS|FLOW|LINKS|RBAC|PLATFORM)_DB_|REDIS_)|^(SESSION_DRIVER|CACHE_STORE|LOCK_STORE|RATE_LIMIT_STORE|QUEUE_CONNECTION)$/;

interface Node {
  readonly child: ChildProcess;
  readonly events: (TickEvent & { event: 'tick' })[];
  readyAt: number | undefined;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
// Whatever happens in a test, no scheduler outlives the file.
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

function startNode(platform: TestPlatform, tickLog: string): Node {
  const backends = Object.fromEntries(Object.entries(platform.config.raw).filter(([name, value]) => value !== undefined && BACKEND.test(name)));
  const env: RawEnv = { ...backends, NODE_ENV: 'test', APP_KEY: platform.config.appKey, STORAGE_PATH: platform.storage, LOG_LEVEL: 'warn', TICK_LOG: tickLog };
  // cwd: the platform's folder, so no developer `.env` is read.
  const child = spawn(process.execPath, ['--import', TSX, FIXTURE], { cwd: platform.storage, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const node: Node = {
    child,
    events: [],
    readyAt: undefined,
    stdout: '',
    stderr: '',
    exited: new Promise((done) => child.once('exit', (code, signal) => done({ code, signal }))),
  };
  child.once('exit', () => children.delete(child));
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    node.stdout += chunk;
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const message = JSON.parse(line) as { event: string; at?: number };
      if (message.event === 'ready') node.readyAt = Date.now();
      if (message.event === 'tick') node.events.push(message as Node['events'][number]);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (node.stderr += chunk));
  return node;
}

async function stopNode(node: Node): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const begun = Date.now();
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => node.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const result = await node.exited;
  clearTimeout(timer);
  return { ...result, ms: Date.now() - begun };
}

const variants = [
  {
    name: 'embedded: SQLite locks and platform database in one storage folder',
    env: { LOCK_STORE: 'sqlite', PLATFORM_DB_DRIVER: 'sqlite' },
    skip: undefined,
  },
  {
    name: 'servers: Redis locks, MariaDB platform database',
    env: {
      LOCK_STORE: 'redis',
      PLATFORM_DB_DRIVER: 'mariadb',
      PLATFORM_DB_HOST: SERVERS.mysql.host,
      PLATFORM_DB_PORT: String(SERVERS.mysql.port),
      PLATFORM_DB_USERNAME: SERVERS.mysql.user,
      PLATFORM_DB_PASSWORD: SERVERS.mysql.password,
    },
    skip: redis.skipReason ?? mariadb.skipReason,
  },
];

for (const variant of variants) {
  describe(`two scheduler processes (${variant.name})`, { skip: variant.skip }, () => {
    it('run each tick of a task exactly once between them, and both stop cleanly on SIGTERM', { timeout: 90_000 }, async (t) => {
      const platform = await createTestPlatform(variant.env);
      const nodes: Node[] = [];
      t.after(async () => {
        for (const node of nodes) node.child.kill('SIGKILL');
        await Promise.all(nodes.map((n) => n.exited));
        await platform.close();
      });
      await ensureScheduleTables(platform.services);
      const tickLog = join(platform.storage, 'ticks.log');

      nodes.push(startNode(platform, tickLog), startNode(platform, tickLog));
      const [a, b] = nodes as [Node, Node];
      await until(() => a.readyAt !== undefined && b.readyAt !== undefined, 30_000, `both schedulers ready\n--- a\n${a.stderr}\n--- b\n${b.stderr}`).catch((error: Error) => {
        throw new Error(`${error.message}\n--- a stderr\n${a.stderr}\n--- b stderr\n${b.stderr}`);
      });
      const bothUp = Math.max(a.readyAt!, b.readyAt!);
      await sleep(RUN_MS);
      const stopping = Date.now();
      const [stopA, stopB] = await Promise.all([stopNode(a), stopNode(b)]);
      const output = `\n--- a stderr\n${a.stderr}\n--- b stderr\n${b.stderr}`;

      // Both exit 0, promptly, on SIGTERM.
      assert.deepEqual([stopA.code, stopB.code], [0, 0], `exit codes (signals ${stopA.signal}, ${stopB.signal})${output}`);
      assert.ok(stopA.ms < STOP_TIMEOUT_MS && stopB.ms < STOP_TIMEOUT_MS, `stopped in ${stopA.ms} and ${stopB.ms} ms`);
      assert.match(a.stdout, /"event":"stopped"/);
      assert.match(b.stdout, /"event":"stopped"/);

      // What the task itself saw: each tick ran once, by one of the two.
      const ran = existsSync(tickLog) ? readFileSync(tickLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]) : [];
      const nodeNames = new Set([...a.events, ...b.events].map((e) => e.node));
      assert.equal(nodeNames.size, 2, 'two distinct nodes');
      const ranTicks = ran.map(([tick]) => tick);
      const duplicates = ranTicks.filter((tick, i) => ranTicks.indexOf(tick) !== i);
      assert.deepEqual(duplicates, [], 'no tick ran twice');
      for (const [, node] of ran) assert.ok(nodeNames.has(node), `ran by a known node: ${node}`);

      // Every second between the first and the last tick was covered: no gaps.
      const seconds = ranTicks.map((tick) => Date.parse(tick) / 1000).sort((x, y) => x - y);
      for (let i = 1; i < seconds.length; i++) assert.equal(seconds[i]! - seconds[i - 1]!, 1, `no missed tick after ${new Date(seconds[i - 1]! * 1000).toISOString()}`);

      // While both ran, each tick was contested: one ran it, the other found it taken.
      const contested = (tick: string) => Date.parse(tick) > bothUp + 100 && Date.parse(tick) < stopping - 100;
      const window = [...new Set(ranTicks.filter(contested))];
      const expected = Math.floor((stopping - bothUp) / 1000);
      assert.ok(window.length >= expected - 1 && window.length <= expected + 1, `${window.length} ticks while both ran, for ${stopping - bothUp} ms`);
      for (const tick of window) {
        const outcomes = [...a.events, ...b.events].filter((e) => e.tick === tick).map((e) => e.outcome).sort();
        assert.deepEqual(outcomes, ['ok', 'taken'], `tick ${tick}: one ran it, the other found it taken${output}`);
      }

      // The bookkeeping agrees: one schedule_runs row per tick, by the node that ran it.
      const rows = await new ScheduleRuns(platform.services.databases.get<ScheduleDatabase>('platform')).all('test:tick');
      assert.deepEqual(rows.map((r) => `${r.tick} ${r.node}`).sort(), ran.map(([tick, node]) => `${tick} ${node}`).sort());
      assert.ok(rows.every((r) => r.status === 'ok' && r.finishedAt !== null));
      const share = [...nodeNames].map((n) => `${n}: ${ran.filter(([, node]) => node === n).length}`).join(', ');
      t.diagnostic(`${ran.length} ticks run (${share}); ${window.length} contested while both were up`);
    });
  });
}
