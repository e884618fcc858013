import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { platformSchedule } from '../../src/platform/schedule.ts';
import { ScheduleRuns } from '../../src/scheduler/runs.ts';
import type { ScheduleDatabase } from '../../src/scheduler/schema.ts';
import { cleanEnv, cleanupCli, describeResult, MARG_BIN, migratedProject, runMarg, tempDir, withCliServices } from '../support/cli.ts';
import { freePort } from '../../src/cluster/members.ts';
import { ensureScheduleTables, until } from './support.ts';

// `marg schedule`, `schedule:list` and `schedule:run`, run as a user runs them.
describe('marg schedule commands', { timeout: 120_000 }, () => {
  let project: string;
  before(async () => {
    project = await migratedProject();
    await withCliServices(project, {}, ensureScheduleTables);
  });
  after(() => cleanupCli());

  it('schedule:run with an unknown task exits 2 and names the tasks', async () => {
    const result = await runMarg(['schedule:run', 'no:such-task'], { cwd: tempDir() });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /unknown task "no:such-task"/);
    for (const task of platformSchedule) assert.ok(result.stderr.includes(task.name), `lists ${task.name}: ${result.stderr}`);
  });

  it('schedule:list shows every task with its next run, and "never" before a first run', async () => {
    const result = await runMarg(['schedule:list'], { cwd: project });
    assert.equal(result.code, 0, describeResult(result));
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0]!, /^TASK\s+CRON\s+NEXT RUN\s+LAST RUN\s+DESCRIPTION$/);
    for (const task of platformSchedule) {
      const line = lines.find((l) => l.startsWith(`${task.name} `));
      assert.ok(line, `${task.name} listed:\n${result.stdout}`);
      assert.ok(line.includes(task.cron));
      assert.match(line, /\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z\s+never/);
    }
  });

  it('schedule:run runs one task now and schedule:list then shows its last run', async () => {
    const result = await runMarg(['schedule:run', 'schedule:prune-runs'], { cwd: project });
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, /^schedule:prune-runs: done in \d+ ms$/m);
    const rows = await withCliServices(project, {}, (services) => new ScheduleRuns(services.databases.get<ScheduleDatabase>('platform')).all('schedule:prune-runs'));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'ok');

    const list = await runMarg(['schedule:list'], { cwd: project });
    assert.equal(list.code, 0, describeResult(list));
    const line = list.stdout.split('\n').find((l) => l.startsWith('schedule:prune-runs '));
    assert.ok(line?.includes(`${rows[0]!.tick} ok`), `last run shown:\n${list.stdout}`);
  });

  it('schedule:run exits 1 and says so when the task is running elsewhere', async () => {
    // Taken by one process and released by another: the owner token names it across processes.
    const held = await withCliServices(project, {}, (services) => services.locks.acquire('schedule:schedule:prune-runs:running', 60_000, 'another-node'));
    assert.ok(held);
    try {
      const result = await runMarg(['schedule:run', 'schedule:prune-runs'], { cwd: project });
      assert.equal(result.code, 1, describeResult(result));
      assert.match(result.stderr, /not run: a previous run is still going/);
    } finally {
      await withCliServices(project, {}, (services) => services.locks.restore(held.name, held.owner).release());
    }
  });

  it('schedule runs until SIGTERM, printing its tasks and serving /metrics on METRICS_PORT, then exits 0', async () => {
    const metricsPort = await freePort();
    const child = spawn(process.execPath, [MARG_BIN, 'schedule'], { cwd: project, env: cleanEnv({ LOG_LEVEL: 'warn', METRICS_PORT: String(metricsPort) }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('close', (code, signal) => done({ code, signal })));
    try {
      await until(() => platformSchedule.every((t) => stdout.includes(t.name)) || child.exitCode !== null, 30_000, 'the task list');
      assert.match(stdout, /^Scheduler \S+ running \d+ tasks/m, `${stdout}\n${stderr}`);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(metrics.status, 200);
      const text = await metrics.text();
      // The scheduler's own series, and the process metrics, labelled with its role.
      assert.match(text, /^# TYPE marg_schedule_runs_total counter$/m);
      assert.match(text, /^process_resident_memory_bytes\{role="scheduler"\} \d+/m);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const { code, signal } = await exited;
      clearTimeout(timer);
      assert.equal(code, 0, `exit ${code} (${signal})\n${stdout}\n${stderr}`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
