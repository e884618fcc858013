import { readiness } from './members.ts';
import { isRunning } from './processes.ts';
import { balancerOf, requireState } from './site.ts';
import type { ClusterState } from './state.ts';

export interface ProcessStatus {
  readonly name: string;
  readonly role: 'balancer' | 'redis' | 'web' | 'worker' | 'scheduler';
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
  if (state.balancer.process) {
    processes.push({
      name: state.balancer.kind,
      role: 'balancer',
      pid: state.balancer.process.pid,
      port: state.balancer.port,
      process: lbRunning ? 'running' : 'stopped',
      health: lbRunning ? 'listening' : 'stopped',
      ok: lbRunning,
    });
  }
  if (state.redis) {
    const running = isRunning(state.redis.process);
    processes.push({ name: 'redis', role: 'redis', pid: state.redis.process.pid, port: state.redis.port, process: running ? 'running' : 'stopped', health: running ? 'running' : 'stopped', ok: running });
  }
  const members = await Promise.all(
    state.members.map(async (m): Promise<ProcessStatus> => {
      const running = isRunning(m.process);
      const metrics = m.metricsPort !== undefined ? { metricsPort: m.metricsPort } : {};
      if (m.role !== 'web') return { name: m.name, role: m.role, pid: m.process.pid, port: undefined, ...metrics, process: running ? 'running' : 'stopped', health: running ? 'running' : 'stopped', ok: running };
      const own = running ? await readiness(m.port!) : 'down';
      const seen = view.get(m.name);
      const health = seen ? `${own}, ${state.balancer.kind}: ${seen}` : own;
      return { name: m.name, role: 'web', pid: m.process.pid, port: m.port, ...metrics, process: running ? 'running' : 'stopped', health, ok: running && own === 'ready' && (seen === undefined || seen === 'UP') };
    }),
  );
  processes.push(...members);
  return { dir, url: urlOf(state), processes, ok: processes.every((p) => p.ok) };
}

export function urlOf(state: ClusterState): string {
  const host = state.balancer.host.includes(':') ? `[${state.balancer.host}]` : state.balancer.host;
  return `http://${host}:${state.balancer.port}`;
}

/** The status as a table for a terminal. */
export function statusTable(status: ClusterStatus): string {
  const header = ['NAME', 'ROLE', 'PID', 'PORT', 'PROCESS', 'HEALTH'];
  const port = (p: ProcessStatus) => [p.port, p.metricsPort === undefined ? undefined : `metrics ${p.metricsPort}`].filter((x) => x !== undefined).join(', ') || '-';
  const rows = status.processes.map((p) => [p.name, p.role, String(p.pid), port(p), p.process, p.health]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`;
  return [header, ...rows].map(line).join('');
}
