import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Services } from '../../src/platform/services.ts';
import { cleanupCli, describeResult, migratedProject, runMarg, spawnMarg, withCliServices } from '../support/cli.ts';
import { until } from '../support/wait.ts';

const GOOD = { batch: '0d1f8d5e-0000-4000-8000-000000000001', day: '2026-11-22', counts: [[1, 2]] };
const BAD = { batch: 'not-a-batch' };

describe('marg work and the queue:* commands', () => {
  let dir: string;
  const marg = (...args: string[]) => runMarg(args, { cwd: dir });
  const inspect = <T>(work: (services: Services) => Promise<T>) => withCliServices(dir, {}, work);

  before(async () => {
    dir = await migratedProject();
    await inspect(async (services) => {
      await services.queue.dispatch('links.clicks', GOOD);
      await services.queue.dispatch('links.clicks', BAD, { tries: 1 });
    });
  });
  after(() => cleanupCli());

  it('queue:stats counts what waits, work --stop-when-empty runs it, queue:failed shows what failed', async () => {
    const stats = await marg('queue:stats', '--json');
    assert.equal(stats.code, 0, describeResult(stats));
    assert.deepEqual(JSON.parse(stats.stdout), [{ queue: 'default', waiting: 2, running: 0, delayed: 0, failed: 0, perMinute: 0 }]);

    const work = await marg('work', '--stop-when-empty', '--sleep', '0.05');
    assert.equal(work.code, 0, describeResult(work));

    const table = await marg('queue:stats');
    assert.match(table.stdout, /^queue\s+waiting\s+running\s+delayed\s+failed\s+jobs\/min\ndefault\s+0\s+0\s+0\s+1\s+\d+\n$/);

    const failed = await marg('queue:failed');
    assert.equal(failed.code, 0, describeResult(failed));
    assert.match(failed.stdout, /links\.clicks\s+1\s+\S+\s+Error: links\.clicks: malformed batch/);
  });

  it('queue:retry, queue:forget and queue:flush manage failed jobs; unknown ids exit 2', async () => {
    const [failed] = await inspect((s) => s.failedJobs.failed(1));
    assert.ok(failed, 'the first test left a failed job');
    const retry = await marg('queue:retry', failed.id);
    assert.equal(retry.code, 0, describeResult(retry));
    assert.equal(retry.stdout, `failed job ${failed.id} queued again\n`);
    assert.equal(await inspect((s) => s.queue.size()), 1);

    for (const args of [['queue:retry', '424242'], ['queue:forget', '424242'], ['queue:retry', 'abc']]) {
      const missing = await marg(...args);
      assert.equal(missing.code, 2, describeResult(missing));
      assert.match(missing.stderr, /no failed job with id/);
    }
    assert.equal((await marg('work', '--stop-when-empty', '--sleep', '0.05')).code, 0);
    const [again] = await inspect((s) => s.failedJobs.failed(1));
    assert.equal((await marg('queue:forget', again!.id)).stdout, `failed job ${again!.id} deleted\n`);
    await inspect((s) => s.queue.dispatch('links.clicks', BAD, { tries: 1 }));
    assert.equal((await marg('work', '--stop-when-empty', '--sleep', '0.05')).code, 0);
    assert.equal((await marg('queue:flush')).stdout, '1 failed job(s) deleted\n');
    assert.equal((await marg('queue:retry', 'all')).stdout, '0 failed job(s) queued again\n');
  });

  it('refuses bad flags with exit 2', async () => {
    for (const args of [['work', '--concurrency', '0'], ['work', '--tries', '1.5'], ['work', '--queue', 'bad name!'], ['work', '--timeout', '0'], ['work', '--sleep', '-1']]) {
      const result = await marg(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${describeResult(result)}`);
    }
  });

  it('work stops on SIGTERM after its running jobs, with exit 0', async () => {
    const child = spawnMarg(['work', '--sleep', '0.05'], { cwd: dir });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    await until(() => output.includes('worker ready'), 20_000);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(output, /worker stopped/);
  });
});
