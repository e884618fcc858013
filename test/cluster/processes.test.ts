import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { alive, isRunning, processStartTime, spawnDetached, stopRecorded, type RecordedProcess } from '../../src/cluster/processes.ts';
import { acquireLock, ClusterBusyError, statePaths } from '../../src/cluster/state.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'marg-procs-'));
const started: number[] = [];
after(async () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
  await cleanupCli();
});

/** A detached node process that sleeps; `ignoreTerm` makes it ignore SIGTERM. */
function sleeper(tag: string, ignoreTerm = false): RecordedProcess {
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setTimeout(() => {}, 60000); // ${tag}`;
  const recorded = spawnDetached({ command: process.execPath, args: ['-e', script], cwd: dir, env: process.env, log: join(dir, `${tag}.log`), marks: [tag] });
  started.push(recorded.pid);
  return recorded;
}

describe('recorded processes: stop only what was started', () => {
  it('alive(pid): true for a process that exists, false once it has exited and been reaped', async () => {
    assert.equal(alive(process.pid), true);
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(alive(child.pid!), false);
  });

  it('a recorded process is recognised by its start time and command line, and stops gracefully', async () => {
    const child = sleeper('marg-test-graceful');
    assert.equal(isRunning(child), true);
    const outcome = await stopRecorded(child, 5_000);
    assert.equal(outcome.how, 'graceful');
    assert.equal(isRunning(child), false);
  });

  it('leaves a pid alone that is now another process (other start time or command line)', async () => {
    const child = sleeper('marg-test-reused');
    const otherStart: RecordedProcess = { ...child, startTime: String(Number(child.startTime) - 1) };
    const otherCommand: RecordedProcess = { ...child, marks: ['marg-test-something-else'] };
    for (const impostor of [otherStart, otherCommand]) {
      assert.equal(isRunning(impostor), false);
      assert.deepEqual(await stopRecorded(impostor, 1_000), { how: 'gone', ms: 0 });
    }
    assert.ok(alive(child.pid), 'the process that was not ours still runs');
    await stopRecorded(child, 5_000);
  });

  it('SIGKILLs a process that ignores its stop signal, after the bound', async () => {
    const child = sleeper('marg-test-stubborn', true);
    // Give node the moment it needs to install its SIGTERM handler.
    await new Promise((r) => setTimeout(r, 500));
    const outcome = await stopRecorded(child, 700);
    assert.equal(outcome.how, 'killed');
    assert.ok(outcome.ms >= 700, `waited ${outcome.ms} ms`);
    assert.equal(isRunning(child), false);
  });

  it('one changing command at a time: a lock held by a live process is refused, a dead owner\'s is taken over', () => {
    const lockDir = join(dir, 'lock');
    const holder: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    started.push(holder.pid!);
    const paths = statePaths(lockDir);
    const release = acquireLock(lockDir);
    release();
    writeFileSync(paths.lock, String(holder.pid));
    assert.throws(() => acquireLock(lockDir), (error: unknown) => error instanceof ClusterBusyError && error.message.includes(`pid ${holder.pid}`));
    holder.kill('SIGKILL');
    writeFileSync(paths.lock, '999999999');
    const again = acquireLock(lockDir);
    again();
    assert.equal(existsSync(paths.lock), false);
    assert.ok(processStartTime(process.pid));
  });
});

describe('marg cluster refusals', () => {
  it('refuses embedded memory drivers with a message naming the variable, and starts nothing', async () => {
    const cwd = tempDir('marg-cluster-refuse-');
    const result = await runMarg(['cluster', 'up', '--port', '1'], { cwd, env: { SESSION_DRIVER: 'memory', CACHE_STORE: 'memory' }, timeoutMs: 60_000 });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /SESSION_DRIVER=memory keeps sessions inside one process/);
    assert.match(result.stderr, /CACHE_STORE=memory/);
    assert.equal(existsSync(join(cwd, 'storage', 'cluster', 'state.json')), false);
    assert.equal(existsSync(join(cwd, '.env')), false, 'not even an APP_KEY was written');
  });

  it('status says there is no cluster (exit 2)', async () => {
    const cwd = tempDir('marg-cluster-none-');
    const status = await runMarg(['cluster', 'status'], { cwd, timeoutMs: 60_000 });
    assert.equal(status.code, 2, describeResult(status));
    assert.match(status.stderr, /no cluster runs from .*storage\/cluster/);
  });
});
