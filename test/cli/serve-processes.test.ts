import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { cleanupCli, describeResult, migratedProject, runMarg, spawnMarg, tempDir } from '../support/cli.ts';
import { alive } from '../../src/cluster/processes.ts';

// `marg serve` with WEB_CONCURRENCY: a supervisor and N web processes on one port (issue 19).
// Real processes: which process answered is read from X-Marg-Node (`<node>/<process number>`).

interface LogLine {
  readonly msg?: string;
  readonly pid?: number;
  readonly port?: number;
  readonly process?: number;
  readonly pids?: Record<string, number>;
}

/** A `marg serve` child whose JSON log lines are collected. */
function serve(cwd: string, env: Record<string, string>) {
  const child = spawnMarg(['serve'], { cwd, env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MARG_NODE_NAME: 'web-1', MARG_NODE_HEADER: 'true', ...env } });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const lines = (): LogLine[] =>
    output.split('\n').flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
  /** The first log line `match` accepts, waited for (bounded: a loaded CI machine starts slowly). */
  const waitFor = async (what: string, match: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = lines().find(match);
      if (found) return found;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`marg serve exited before "${what}":\n${output}`);
      if (Date.now() > until) throw new Error(`no "${what}" within ${timeoutMs} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, lines, waitFor, output: () => output };
}

/** X-Marg-Node of one request on a new connection (round-robin hands each connection to the next process). */
function nodeOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health/live', agent: false, headers: { host: 'flow.marg.localhost', connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve(String(res.headers['x-marg-node'])) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end();
  });
}

async function nodesAnswering(port: number, requests = 12): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < requests; i++) seen.add(await nodeOf(port));
  return seen;
}

async function gone(pids: readonly number[], timeoutMs = 15_000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

describe('marg serve with WEB_CONCURRENCY', () => {
  const started: ChildProcess[] = [];
  after(async () => {
    for (const child of started) child.kill('SIGKILL');
    await cleanupCli();
  });

  it('serves from two processes, replaces one that is killed, and stops them all on SIGTERM', async () => {
    const cwd = await migratedProject();
    const node = serve(cwd, { WEB_CONCURRENCY: '2', METRICS_PORT: '0' });
    started.push(node.child);
    const ready = await node.waitFor('web processes ready', (l) => l.msg === 'web processes ready');
    const port = ready.port!;
    const pids = ready.pids!;
    assert.deepEqual(Object.keys(pids).sort(), ['1', '2'], node.output());
    assert.ok(pids['1'] !== pids['2'] && pids['1'] !== node.child.pid && pids['2'] !== node.child.pid, 'two web processes besides the supervisor');
    assert.deepEqual([...(await nodesAnswering(port))].sort(), ['web-1/1', 'web-1/2'], 'both processes answer on the one port');
    // Once per node: only process 1 serves METRICS_PORT.
    const metrics = node.lines().filter((l) => l.msg === 'metrics at GET /metrics');
    assert.deepEqual(metrics.map((l) => l.pid), [pids['1']], node.output());

    process.kill(pids['2']!, 'SIGKILL');
    const replaced = await node.waitFor('web process replaced', (l) => l.msg === 'web process replaced');
    assert.equal(replaced.process, 2);
    assert.notEqual(replaced.pid, pids['2']);
    assert.ok(alive(replaced.pid!));
    assert.deepEqual([...(await nodesAnswering(port))].sort(), ['web-1/1', 'web-1/2'], 'the replacement serves');

    node.child.kill('SIGTERM');
    const exit = await node.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, node.output());
    assert.deepEqual(await gone([pids['1']!, replaced.pid!]), [], 'no web process outlives the supervisor');
  });

  it('stops everything, with the exit code, when the web processes cannot start (databases not migrated)', async () => {
    const cwd = tempDir();
    await runMarg(['key:generate'], { cwd });
    const node = serve(cwd, { WEB_CONCURRENCY: '2' });
    started.push(node.child);
    const exit = await node.exited;
    assert.deepEqual(exit, { code: 2, signal: null }, node.output());
    assert.match(node.output(), /not migrated/);
    const pids = node.lines().flatMap((l) => (l.pid !== undefined && l.pid !== node.child.pid ? [l.pid] : []));
    assert.deepEqual(await gone([...new Set(pids)]), []);
  });

  it('refuses a WEB_CONCURRENCY that is not a whole number from 1', async () => {
    for (const value of ['0', 'two']) {
      const result = await runMarg(['serve'], { cwd: tempDir(), env: { WEB_CONCURRENCY: value, APP_KEY: 'x' } });
      assert.equal(result.code, 2, describeResult(result));
      assert.match(result.stderr, /WEB_CONCURRENCY/);
    }
  });
});
