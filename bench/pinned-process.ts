import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { httpGet } from './http-call.ts';

/** The core the servers run on; the load generator (this process) stays on the other one. */
export const SERVER_CORE = 1;
export const LOAD_CORE = 0;

const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s.

/** Pins every thread of this process (the load generator) to LOAD_CORE. */
export function pinSelf(): void {
  const result = spawnSync('taskset', ['-a', '-cp', String(LOAD_CORE), String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset failed: ${result.stderr || result.error?.message}`);
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released for the child). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const running = new Set<PinnedProcess>();

/** Stops every child still running: called on the way out, also after a failure or Ctrl-C. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** A server process pinned to SERVER_CORE, with what the report needs: boot time, CPU, memory. */
export class PinnedProcess {
  readonly #child: ChildProcess;
  readonly #spawnedAt: number;
  readonly #stderr: string[] = [];
  #exited: Promise<void>;
  #exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    readonly port: number,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
    cores: string,
  ) {
    this.#spawnedAt = performance.now();
    // Request logs (LOG_LEVEL=info) go to /dev/null: the cheapest sink, so the bench does not pay for reading them.
    this.#child = spawn('taskset', ['-c', cores, process.execPath, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child.stderr?.on('data', (chunk: Buffer) => this.#stderr.push(chunk.toString('utf8')));
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code) => {
      this.#exitCode = code;
      running.delete(this);
      resolve();
    }));
    running.add(this);
  }

  /** Spawns `node <args>` on SERVER_CORE (or the `cores` given, as taskset takes them) and waits for GET /health/ready → 200; returns it with its boot time. */
  static async start(name: string, port: number, args: string[], env: NodeJS.ProcessEnv, cwd: string, cores = String(SERVER_CORE)): Promise<{ process: PinnedProcess; bootMs: number }> {
    const child = new PinnedProcess(name, port, args, env, cwd, cores);
    try {
      const bootMs = await child.#waitReady(30_000);
      return { process: child, bootMs };
    } catch (error) {
      await child.stop();
      throw error;
    }
  }

  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error(`${this.name} has no pid`);
    return pid;
  }

  /** Resident memory now and at its peak, in MB (from /proc). */
  memory(): { rssMb: number; peakRssMb: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  }

  /** CPU seconds used so far (user + system, all threads) by the process and its live children (`marg serve`'s web processes). */
  cpuSeconds(): number {
    return treeCpuSeconds(this.pid);
  }

  /** SIGTERM (graceful: the server drains and closes), SIGKILL if it has not exited in 10 s. */
  async stop(): Promise<void> {
    if (this.#exitCode !== undefined) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }

  async #waitReady(timeoutMs: number): Promise<number> {
    const deadline = this.#spawnedAt + timeoutMs;
    while (performance.now() < deadline) {
      if (this.#exitCode !== undefined) throw new Error(`${this.name} exited (${this.#exitCode}) before it was ready:\n${this.#stderr.join('')}`);
      const status = await httpGet(this.port, '/health/ready', 'localhost').then((r) => r.status, () => 0);
      if (status === 200) return performance.now() - this.#spawnedAt;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`${this.name} was not ready after ${timeoutMs} ms:\n${this.#stderr.join('')}`);
  }
}

function treeCpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0; // exited in between
  }
  // Fields after the `(comm)` part; utime and stime are fields 14 and 15 of the whole line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  return own + childrenOf(pid).reduce((sum, child) => sum + treeCpuSeconds(child), 0);
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}
