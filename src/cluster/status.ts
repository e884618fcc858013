import { formatTable } from '../support/table.ts';
import { urlHost } from '../support/host.ts';
import { readiness } from './members.ts';
import { isRunning, type RecordedProcess } from './processes.ts';
import { balancerOf, requireState } from './site.ts';
import type { ClusterState } from './state.ts';

export interface ProcessStatus {
  readonly name: string;
  readonly role: 'balancer' | 'redis' | 'web' | 'worker' | 'scheduler' | 'realtime';
  readonly pid: number;
  readonly port: number | undefined;
  /** With METRICS_PORT set: where this member serves /metrics. */
  readonly metricsPort?: number | undefined;
  /** running / stopped (the recorded pid is gone or is another program now). */
  readonly process: 'running' | 'stopped';
  /** web: the node's /health/ready (ready, draining, down); balancer: how it sees each node. */
  readonly health: string;
  readonly ok: boolean;
}

export interface ClusterStatus {
  readonly dir: string;
  readonly url: string;
  readonly processes: readonly ProcessStatus[];
  readonly ok: boolean;
}

/** `marg cluster status`: every recorded process, whether it still runs, and its health. */
export async function clusterStatus(dir: string): Promise<ClusterStatus> {
  const state = requireState(dir);
  const balancer = balancerOf(state, dir);
  const lbRunning = state.balancer.process !== undefined && isRunning(state.balancer.process);
  const view = lbRunning ? await balancer.view().catch(() => new Map<string, string>()) : new Map<string, string>();
  const processes: ProcessStatus[] = [];
  if (state.balancer.process) processes.push(byRunning(state.balancer.kind, 'balancer', state.balancer.process, state.balancer.port, 'listening'));
  if (state.redis) processes.push(byRunning('redis', 'redis', state.redis.process, state.redis.port));
  const members = await Promise.all(
    state.members.map(async (m): Promise<ProcessStatus> => {
      const base = { ...byRunning(m.name, m.role, m.process, m.port), ...(m.metricsPort !== undefined ? { metricsPort: m.metricsPort } : {}) };
      if (m.role !== 'web' && m.role !== 'realtime') return base;
      const own = base.ok ? await readiness(m.port!) : 'down';
      const seen = view.get(m.name);
      const health = seen ? `${own}, ${state.balancer.kind}: ${seen}` : own;
      return { ...base, health, ok: base.ok && own === 'ready' && (seen === undefined || seen === 'UP') };
    }),
  );
  processes.push(...members);
  return { dir, url: urlOf(state), processes, ok: processes.every((p) => p.ok) };
}

/** A process whose health is whether it runs (`whenRunning` names that state). */
function byRunning(name: string, role: ProcessStatus['role'], recorded: RecordedProcess, port: number | undefined, whenRunning = 'running'): ProcessStatus {
  const running = isRunning(recorded);
  return { name, role, pid: recorded.pid, port, process: running ? 'running' : 'stopped', health: running ? whenRunning : 'stopped', ok: running };
}

export function urlOf(state: ClusterState): string {
  return `http://${urlHost(state.balancer.host)}:${state.balancer.port}`;
}

/** The status as a table for a terminal. */
export function statusTable(status: ClusterStatus): string {
  const header = ['NAME', 'ROLE', 'PID', 'PORT', 'PROCESS', 'HEALTH'];
  const port = (p: ProcessStatus) => [p.port, p.metricsPort === undefined ? undefined : `metrics ${p.metricsPort}`].filter((x) => x !== undefined).join(', ') || '-';
  return formatTable(header, status.processes.map((p) => [p.name, p.role, String(p.pid), port(p), p.process, p.health]));
}
