import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { redisService } from '../contract/redis-fixture.ts';
import { cleanEnv } from '../support/cli.ts';
import { backendEnv, createTestPlatform, type TestPlatform } from '../support/platform.ts';
import { until } from '../support/wait.ts';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/queue-worker.ts');
const redis = await redisService();
const JOBS = 6;

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

function startWorker(platform: TestPlatform, log: string): ChildProcess {
  const env = cleanEnv({
    ...backendEnv(platform),
    NODE_ENV: 'test',
    APP_KEY: platform.config.appKey,
    STORAGE_PATH: platform.storage,
    QUEUE_CONNECTION: platform.config.queue.connection,
    QUEUE_RETRY_AFTER: '2',
    WORK_LOG: log,
    JOB_MS: '700',
  });
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function lines(log: string): { kind: string; payload: number; attempt: number; pid: number }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, payload, attempt, pid] = line.split(' ');
      return { kind: kind!, payload: Number(payload), attempt: Number(attempt), pid: Number(pid) };
    });
}

const drivers = [
  { name: 'database', env: {}, skip: undefined },
  { name: 'redis', env: { QUEUE_CONNECTION: 'redis' }, skip: redis.skipReason },
];

for (const driver of drivers) {
  describe(`a worker killed mid-job (${driver.name} queue)`, { skip: driver.skip }, () => {
    it('loses nothing: the job is delivered again to another worker, and only it runs twice', { timeout: 90_000 }, async (t) => {
      const platform = await createTestPlatform({ ...driver.env, QUEUE_RETRY_AFTER: '2' });
      t.after(() => platform.close());
      const log = join(platform.storage, 'work.log');
      for (let i = 0; i < JOBS; i++) await platform.services.queue.dispatch('test.slow', i);

      const first = startWorker(platform, log);
      await until(() => lines(log).some((l) => l.kind === 'start'), 30_000);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const killed = lines(log);
      const interrupted = new Set(killed.filter((l) => l.kind === 'start').map((l) => l.payload));
      for (const l of killed) if (l.kind === 'done') interrupted.delete(l.payload);
      assert.ok(interrupted.size > 0, 'the worker was killed in the middle of a job');

      const second = startWorker(platform, log);
      await until(() => new Set(lines(log).filter((l) => l.kind === 'done').map((l) => l.payload)).size === JOBS, 60_000);
      second.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => second.once('exit', (c) => r(c)));
      assert.equal(code, 0, 'SIGTERM stops the worker cleanly');

      const all = lines(log);
      for (let i = 0; i < JOBS; i++) {
        const starts = all.filter((l) => l.kind === 'start' && l.payload === i);
        const dones = all.filter((l) => l.kind === 'done' && l.payload === i);
        assert.equal(dones.length, 1, `job ${i} completed exactly once`);
        if (interrupted.has(i)) {
          // At least once: the killed delivery counted as an attempt, and the job ran again, elsewhere.
          assert.equal(starts.length, 2, `job ${i} was delivered again`);
          assert.deepEqual(starts.map((s) => s.attempt), [1, 2]);
          assert.equal(dones[0]!.pid, second.pid);
        } else {
          assert.equal(starts.length, 1, `job ${i} was not interrupted, so it ran once`);
        }
      }
      assert.equal(await platform.services.queue.size(), 0);
      assert.deepEqual(await platform.services.failedJobs.failed(10), []);
    });
  });
}
