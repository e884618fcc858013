import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.ts';
import type { AppModule } from '../platform/app-module.ts';
import { appLayout } from '../platform/app-registry.ts';
import { createLogger } from '../observability/logger.ts';
import { assertReachable, createMissingDatabases } from '../platform/connectivity.ts';
import { migrateAll } from '../platform/migrate.ts';
import { createServices } from '../platform/services.ts';
import { balancerBinary, createBalancer } from './balancer.ts';
import type { Backend, Balancer } from './balancer-contract.ts';
import { roleLogLevel } from './environment.ts';
import { freePort, launchMember, type LaunchContext } from './members.ts';
import { readState, statePaths, type ClusterState, type Member, type Role } from './state.ts';

/** A refusal the operator can act on (no cluster here, one already runs, a binary is missing): exit code 2. */
export class ClusterError extends Error {}

/** The state dir: `--dir`, else `<STORAGE_PATH>/cluster`. */
export function clusterDir(config: Config, given: string | undefined): string {
  return given ?? join(config.storagePath, 'cluster');
}

/** The configuration every member will load: the invoking environment plus the cluster's shared variables. */
export function memberConfig(apps: readonly AppModule[], cwd: string, shared: Readonly<Record<string, string>>): Config {
  return loadConfig({ cwd, env: { ...process.env, ...shared }, layout: appLayout(apps) });
}

/** Brings every database up to date once, before any node starts (nodes refuse unmigrated databases). */
export async function migrateOnce(config: Config, apps: readonly AppModule[]): Promise<string[]> {
  const created = await createMissingDatabases(config);
  const services = await createServices(config, createLogger({ logLevel: config.logLevel === 'silent' ? 'silent' : 'warn' }));
  try {
    await assertReachable(services);
    const report = await migrateAll(services, apps);
    return [...created.map((c) => `created database ${c}`), ...report.applied.map((a) => `migrated ${a.database}/${a.migration}`)];
  } finally {
    await services.close();
  }
}

export function requireState(dir: string): ClusterState {
  const state = readState(dir);
  if (!state) throw new ClusterError(`no cluster runs from ${dir} (start one with \`marg cluster up\`)`);
  return state;
}

export function balancerOf(state: ClusterState, dir: string): Balancer {
  const found = balancerBinary(state.balancer.kind);
  if ('missing' in found) throw new ClusterError(found.missing);
  return createBalancer(state.balancer.kind, { dir, host: state.balancer.host, port: state.balancer.port, binary: found.binary, process: state.balancer.process, realtimeHost: state.balancer.realtimeHost });
}

export function launchContext(state: ClusterState, dir: string): LaunchContext {
  return { cwd: state.cwd, logs: statePaths(dir).logs, env: { ...process.env, ...state.env } };
}

/** A web node as the balancer sees it. */
export function backendOf(member: Member): Backend {
  return { name: member.name, port: member.port!, role: member.role === 'realtime' ? 'realtime' : 'web' };
}

/** The nodes behind the balancer: web nodes and realtime nodes. */
export function backends(state: ClusterState): Backend[] {
  return [...membersOf(state, 'web'), ...membersOf(state, 'realtime')].map(backendOf);
}

export function membersOf(state: ClusterState, role: Role): Member[] {
  return state.members.filter((m) => m.role === role);
}

/** What each role gets on top of the shared environment. */
export function roleEnv(role: Role, config: Config, state: Pick<ClusterState, 'drainSeconds'>, port?: number): Record<string, string> {
  if (role === 'realtime') return { LOG_LEVEL: roleLogLevel(config), REVERB_SERVER_HOST: '127.0.0.1', REVERB_SERVER_PORT: String(port) };
  if (role !== 'web') return { LOG_LEVEL: roleLogLevel(config) };
  return {
    HOST: '127.0.0.1',
    PORT: String(port),
    SHUTDOWN_DRAIN_SECONDS: String(state.drainSeconds),
    // The balancer on this machine sets X-Forwarded-For: believe it, unless TRUSTED_PROXIES says otherwise.
    ...(config.raw.TRUSTED_PROXIES ? {} : { TRUSTED_PROXIES: '127.0.0.1' }),
  };
}

/**
 * Starts the next member of `role` (`web-4` after `web-3`): a free port for a web node, and,
 * when METRICS_PORT is set, a /metrics port of its own (members on one machine cannot share one).
 */
export async function startMember(context: LaunchContext, role: Role, config: Config, state: ClusterState): Promise<Member> {
  state.counters[role] = (state.counters[role] ?? 0) + 1;
  const name = `${role}-${state.counters[role]}`;
  const port = role === 'web' || role === 'realtime' ? await freePort() : undefined;
  const metricsPort = config.metrics.port !== undefined ? await freePort() : undefined;
  const env = { ...roleEnv(role, config, state, port), ...(metricsPort !== undefined ? { METRICS_PORT: String(metricsPort) } : {}) };
  const member = launchMember(context, role, name, env, port);
  return metricsPort !== undefined ? { ...member, metricsPort } : member;
}
