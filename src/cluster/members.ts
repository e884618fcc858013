import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { isRunning, logTail, spawnDetached, stopRecorded, type StopOutcome } from './processes.ts';
import type { Member, Role } from './state.ts';
import { PROJECT_ROOT } from '../support/project-root.ts';

/** The CLI entry point: every member is `marg serve|work|schedule`, exactly as an operator runs it. */
export const MARG_BIN = resolve(PROJECT_ROOT, 'bin/marg.js');

const COMMANDS: Readonly<Record<Role, string>> = { web: 'serve', worker: 'work', scheduler: 'schedule', realtime: 'realtime' };
/** The line each role logs once it runs (web nodes are asked over HTTP instead). */
const READY_LINES: Readonly<Record<Exclude<Role, 'web' | 'realtime'>, string>> = { worker: '"msg":"worker ready"', scheduler: '"msg":"scheduler role ready"' };
/** Node's boot through tsx takes a few seconds of CPU, and several members start at once. */
const READY_TIMEOUT_MS = 60_000;

export interface LaunchContext {
  readonly cwd: string;
  readonly logs: string;
  /** The invoking environment plus the cluster's shared variables. */
  readonly env: NodeJS.ProcessEnv;
}

/** Starts `marg serve|work|schedule` for one member, detached, logging to `<logs>/<name>.log`. */
export function launchMember(context: LaunchContext, role: Role, name: string, env: Readonly<Record<string, string>>, port?: number): Member {
  const command = COMMANDS[role];
  const recorded = spawnDetached({
    command: process.execPath,
    args: [MARG_BIN, command],
    cwd: context.cwd,
    // Every response names the web node that sent it (X-Marg-Node): opt-in, so the cluster opts in.
    // One process per web node: these nodes share one machine, and the balancer already spreads
    // the load over them (`--web N` is the per-machine process count here).
    env: { ...context.env, ...env, MARG_NODE_NAME: name, ...(role === 'web' ? { MARG_NODE_HEADER: 'true', WEB_CONCURRENCY: '1' } : {}) },
    log: join(context.logs, `${name}.log`),
    marks: [`${MARG_BIN} ${command}`],
  });
  return { name, role, ...(port !== undefined ? { port } : {}), process: recorded };
}

/** Resolves once the member serves (web: /health/ready is 200; others: their ready line); throws with its log if it died. */
export async function waitUntilReady(member: Member, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(member.process)) throw new Error(`${member.name} exited while starting; its log (${member.process.log}) ends:\n${logTail(member.process.log)}`);
    if (await isReady(member)) return;
    if (Date.now() > deadline) throw new Error(`${member.name} was not ready within ${timeoutMs / 1000} s; its log (${member.process.log}) ends:\n${logTail(member.process.log)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function isReady(member: Member): Promise<boolean> {
  // Web and realtime nodes answer /health/ready on their port.
  if (member.role === 'web' || member.role === 'realtime') return (await readiness(member.port!)) === 'ready';
  try {
    return readFileSync(member.process.log, 'utf8').includes(READY_LINES[member.role]);
  } catch {
    return false;
  }
}

/** A web node's own answer on /health/ready: `ready`, `draining`/`starting` (503), or `down` (no answer). */
export async function readiness(port: number): Promise<string> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json().catch(() => ({}))) as { status?: string };
    return response.status === 200 ? 'ready' : (body.status ?? `http ${response.status}`);
  } catch {
    return 'down';
  }
}

/** How long a member may take to stop gracefully before it is killed. */
export function stopTimeoutMs(role: Role, drainSeconds: number): number {
  // Web: the drain, then requests in flight; worker: `marg work`'s 30 s grace for running jobs.
  // Realtime: closing the sockets (4200) and leaving their channels takes a few seconds at most.
  return role === 'web' ? (drainSeconds + 20) * 1000 : role === 'worker' ? 45_000 : role === 'realtime' ? 20_000 : 30_000;
}

export function stopMember(member: Member, drainSeconds: number): Promise<StopOutcome> {
  return stopRecorded(member.process, stopTimeoutMs(member.role, drainSeconds));
}

/** A loopback port that is free now (the node binds it a moment later). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no free port'))));
    });
  });
}
