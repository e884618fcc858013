import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chaosTable } from '../../src/chaos/report.ts';
import { parseReport } from './support.ts';
import { cleanEnv, cleanupCli, describeResult, MARG_BIN, runMarg, startMarg, tempDir, type RunningMarg } from '../support/cli.ts';
import { TEST_DOMAIN } from '../support/platform.ts';

/**
 * A cluster `marg chaos` did not start (`--target`): it kills only with the operator's commands.
 * Here the "cluster" is one `marg start` (all roles, embedded stores) and the web node the
 * command kills is a stand-in process, so what is checked is the hook path itself: the command
 * runs with MARG_CHAOS_EXPERIMENT, a failing command is reported, and the load is measured.
 */
describe('marg chaos --target with --kill-cmd hooks', () => {
  let marg: RunningMarg;
  let standIn: ChildProcess;
  const out = tempDir('marg-chaos-hook-');

  before(async () => {
    marg = await startMarg({ env: { MARG_DOMAIN: TEST_DOMAIN, API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0', LOG_LEVEL: 'warn' } });
    standIn = spawn('sleep', ['300'], { stdio: 'ignore' });
  });
  after(async () => {
    if (standIn.exitCode === null && standIn.signalCode === null) standIn.kill('SIGKILL');
    await marg.stop();
    await cleanupCli();
  });

  it('runs the given commands, reports a failing one, and measures the load', { timeout: 60_000 }, async (t) => {
    assert.ok(marg.admin, 'a first start prints the administrator');
    const marker = join(out, 'web-hook');
    const result = await runMarg(
      [
        'chaos',
        '--target', `http://127.0.0.1:${marg.port}`,
        '--app-host', `flow.${TEST_DOMAIN}:${marg.port}`,
        '--experiments', 'web,db-replica',
        '--kill-cmd', `web=kill -9 ${standIn.pid} && echo "$MARG_CHAOS_EXPERIMENT" > ${marker}`,
        '--kill-cmd', 'db-replica=echo no such replica >&2; exit 3',
        '--email', marg.admin.email,
        '--rate', '20', '--window', '10', '--settle', '20', '--yes', '--json',
      ],
      { cwd: marg.cwd, env: { MARG_DOMAIN: TEST_DOMAIN, MARG_CHAOS_PASSWORD: marg.admin.password, LOG_LEVEL: 'warn' }, timeoutMs: 50_000 },
    );
    assert.equal(result.code, 1, `a failed experiment makes the report not ok: ${describeResult(result)}`);
    const report = parseReport(result);
    t.diagnostic(`\n${chaosTable(report)}`);
    assert.match(result.stderr, /web +web \(your command\)/);
    const [web, replica] = report.experiments;
    assert.ok(web && replica, describeResult(result));

    assert.equal(web.error, undefined);
    assert.equal(readFileSync(marker, 'utf8').trim(), 'web', 'the command ran with MARG_CHAOS_EXPERIMENT');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(standIn.signalCode, 'SIGKILL', 'the command killed what it named');
    assert.equal(web.noticedMs, undefined, 'nothing says when a foreign balancer noticed');
    assert.equal(web.failedRequests, 0);
    assert.ok(web.requests > 20, `the signed-in load ran (${web.requests})`);

    assert.match(replica.error ?? '', /kill command exited 3: no such replica/);
    assert.equal(report.ok, false);
    assert.equal(report.experiments.reduce((n, e) => n + e.jobsLost, 0), 0, 'the jobs dispatched meanwhile all ran (marg start runs a worker)');
  });

  it('without --yes and off a terminal, says what it would kill and runs no kill command', { timeout: 60_000 }, async () => {
    assert.ok(marg.admin);
    const marker = join(out, 'refused-hook');
    const result = await runMarg(['chaos', '--target', `http://127.0.0.1:${marg.port}`, '--experiments', 'web,worker', '--kill-cmd', `web=touch ${marker}`, '--email', marg.admin.email], {
      cwd: marg.cwd,
      env: { MARG_DOMAIN: TEST_DOMAIN, MARG_CHAOS_PASSWORD: marg.admin.password },
      timeoutMs: 50_000,
    });
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stdout, /It will kill, in this order:\n +web +web \(your command\)\n +worker +skipped: no --kill-cmd worker/);
    assert.match(result.stderr, /refusing to kill anything without --yes/);
    assert.equal(existsSync(marker), false, 'the kill command did not run');
  });

  it('on a terminal, asks; anything but "kill" kills nothing', { timeout: 60_000 }, async () => {
    assert.ok(marg.admin);
    const marker = join(out, 'declined-hook');
    const args = ['chaos', '--target', `http://127.0.0.1:${marg.port}`, '--experiments', 'web', '--kill-cmd', `web=touch ${marker}`, '--email', marg.admin.email];
    // script(1) gives the command a terminal, whose input is the answer.
    const command = [process.execPath, MARG_BIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: marg.cwd, env: cleanEnv({ MARG_DOMAIN: TEST_DOMAIN, MARG_CHAOS_PASSWORD: marg.admin.password }), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Type "kill" to go ahead')) child.stdin!.end('no\n');
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 2, output);
    assert.match(output, /web +web \(your command\)/);
    assert.match(output, /not confirmed: nothing was killed/);
    assert.equal(existsSync(marker), false, 'the kill command did not run');
  });
});
