import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Backend, Balancer, BalancerSite } from './balancer-contract.ts';
import { isRunning, logTail, signalRecorded, spawnDetached } from './processes.ts';
import { urlHost } from '../support/host.ts';
import { renderTemplate } from './template.ts';
import { PROJECT_ROOT } from '../support/project-root.ts';

const run = promisify(execFile);
export const NGINX_TEMPLATE = resolve(PROJECT_ROOT, 'deploy/nginx/nginx.conf.template');
/** Passive health: one failed attempt leaves a node out for this long. */
const FAIL_TIMEOUT = '5s';

export function createNginx(site: BalancerSite): Balancer {
  const home = join(site.dir, 'nginx');
  const configFile = join(home, 'nginx.conf');
  let master = site.process;

  async function render(nodes: readonly Backend[]): Promise<void> {
    mkdirSync(join(home, 'tmp'), { recursive: true });
    const text = renderTemplate(
      readFileSync(NGINX_TEMPLATE, 'utf8'),
      {
        // nginx started by root hands its workers to `nobody`, who cannot use the temp dirs in a
        // private state dir: on this loopback cluster, workers run as the user who ran `marg cluster`.
        user_directive: process.getuid?.() === 0 ? `user ${userInfo().username};` : '',
        pid_file: join(home, 'nginx.pid'),
        temp_dir: join(home, 'tmp'),
        bind: `${urlHost(site.host)}:${site.port}`,
        max_fails: '1',
        fail_timeout: FAIL_TIMEOUT,
        realtime_host: site.realtimeHost ?? 'ws.invalid',
      },
      nodes.filter((n) => n.role !== 'realtime').map((n) => ({ name: n.name, address: `127.0.0.1:${n.port}` })),
      {
        // An upstream needs a server: without realtime nodes, one that is down (clients get 502).
        realtime: realtimeRows(nodes),
      },
    );
    writeFileSync(configFile, text);
    await checkNginxConfig(site.binary, home, configFile);
  }

  /** SIGHUP: the master reads the config again, starts new workers, and old workers finish their requests. */
  async function reload(nodes: readonly Backend[]): Promise<void> {
    await render(nodes);
    if (!master || !isRunning(master)) throw new Error('nginx is not running: `marg cluster down`, then `up` again');
    const before = workers(master.pid);
    if (!signalRecorded(master, 'SIGHUP')) throw new Error('nginx is not running');
    // Reloaded once a worker exists that was not there before (or, without /proc, after a second).
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const now = workers(master.pid);
      if (now === undefined) {
        await new Promise((r) => setTimeout(r, 1_000));
        return;
      }
      if (before && now.some((pid) => !before.includes(pid))) return;
    }
    throw new Error(`nginx did not reload within 10 s: ${logTail(master.log)}`);
  }

  return {
    kind: 'nginx',
    configFile,
    socket: undefined,
    // No active checks: `roll` takes a node out by a reload before it stops it; the margin lets requests settle.
    drainSeconds: 1,
    render,
    async start(nodes) {
      await render(nodes);
      master = spawnDetached({
        command: site.binary,
        args: ['-p', home, '-c', configFile, '-e', 'stderr'],
        cwd: home,
        env: process.env,
        log: join(site.dir, 'logs', 'nginx.log'),
        marks: [configFile],
        stopSignal: 'SIGQUIT',
      });
      const started = master;
      // Up once it answers on its port (a refused connection means it is not listening yet).
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (!isRunning(started)) throw new Error(`nginx exited at start: ${logTail(started.log)}`);
        const ok = await fetch(`http://${urlHost(site.host)}:${site.port}/health/ready`, { signal: AbortSignal.timeout(1_000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) return started;
        if (Date.now() > deadline) throw new Error(`nginx did not answer on ${site.host}:${site.port} within 10 s: ${logTail(started.log)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    add: (_node, all) => reload(all),
    disable: (_node, remaining) => reload(remaining),
    async forget() {
      // Already out of the config since disable().
    },
    async view() {
      return new Map();
    },
  };
}

/** `nginx -t` on the rendered file, with the state dir as prefix (no root paths needed). */
export async function checkNginxConfig(binary: string, prefix: string, file: string): Promise<void> {
  try {
    await run(binary, ['-t', '-q', '-p', prefix, '-c', file, '-e', 'stderr'], { timeout: 10_000 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`nginx -t refused ${file}:\n${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

/** The master's worker pids (/proc children), or undefined where the kernel does not list them. */
function workers(pid: number): number[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
}

function realtimeRows(nodes: readonly Backend[]): Record<string, string>[] {
  const realtime = nodes.filter((n) => n.role === 'realtime');
  if (realtime.length === 0) return [{ name: 'none', address: '127.0.0.1:9', options: ' down' }];
  return realtime.map((n) => ({ name: n.name, address: `127.0.0.1:${n.port}`, options: '' }));
}
