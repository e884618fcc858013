import type { Config } from '../config/config.ts';
import { serverStatuses } from '../cluster/haproxy-socket.ts';
import { isRunning, signalRecorded } from '../cluster/processes.ts';
import { membersOf } from '../cluster/site.ts';
import type { ClusterState, Member } from '../cluster/state.ts';
import type { ExperimentContext, ExperimentKind, Plan, Skipped, Target } from './contract.ts';
import { hookOnly } from './hook-targets.ts';
import { chaosKeys } from './job.ts';
import { redisPrimaryTarget } from './redis-primary.ts';

/** How long a worker may take to pick up a chaos job before the experiment gives up. */
const MID_JOB_TIMEOUT_MS = 20_000;

/**
 * Targets of a `marg cluster` from its state file: the pids it recorded (each checked to be
 * the same process before the signal). The Redis primary through Sentinel (redis-primary.ts);
 * a database replica only by the operator's command (`hooks`).
 */
export async function clusterPlan(state: ClusterState, config: Config, kinds: readonly ExperimentKind[], hooks: ReadonlyMap<ExperimentKind, string>): Promise<Plan> {
  const targets: Target[] = [];
  const skipped: Skipped[] = [];
  for (const kind of kinds) {
    try {
      const found = await clusterTarget(state, config, kind, hooks.get(kind));
      if ('reason' in found) skipped.push(found);
      else targets.push(found);
    } catch (error) {
      skipped.push({ kind, reason: (error as Error).message });
    }
  }
  return { targets, skipped };
}

async function clusterTarget(state: ClusterState, config: Config, kind: ExperimentKind, hook: string | undefined): Promise<Target | Skipped> {
  if (kind === 'web') {
    const running = membersOf(state, 'web').filter((m) => isRunning(m.process));
    // Killing the last web node is an outage, not an experiment.
    if (running.length < 2) return { kind, reason: `needs 2 running web nodes, ${running.length} run` };
    return webTarget(running[0]!, state);
  }
  if (kind === 'worker') {
    const running = membersOf(state, 'worker').filter((m) => isRunning(m.process));
    // With one worker, a killed worker's job has nobody to run it again.
    if (running.length < 2) return { kind, reason: `needs 2 running workers, ${running.length} run` };
    return workerTarget(running[0]!);
  }
  if (kind === 'redis-primary') {
    if (config.redis.sentinels.length === 0) return { kind, reason: 'Redis has no Sentinel (REDIS_SENTINELS): losing it is an outage with no failover to measure' };
    return redisPrimaryTarget(config.redis, hook);
  }
  return hookOnly(kind, hook, config);
}

function webTarget(member: Member, state: ClusterState): Target {
  const socket = state.balancer.kind === 'haproxy' ? state.balancer.socket : undefined;
  return {
    kind: 'web',
    label: `${member.name} (pid ${member.process.pid}, port ${member.port})`,
    kill: async () => killMember(member),
    // HAProxy's health check says when it noticed; nginx only notices passively, per request.
    ...(socket ? { noticedBy: 'haproxy', noticed: async () => ((await serverStatuses(socket, 'marg_web')).get(member.name) ?? 'DOWN').startsWith('DOWN') } : {}),
  };
}

function workerTarget(member: Member): Target {
  return {
    kind: 'worker',
    label: `${member.name} (pid ${member.process.pid}) mid-job`,
    prepare: (context) => untilMidJob(member.name, context),
    kill: async () => killMember(member),
  };
}

/** Resolves while `node` runs a chaos job that has not finished: the kill then lands mid-job. */
async function untilMidJob(node: string, { run, cache }: ExperimentContext): Promise<{ midJob: number }> {
  const deadline = Date.now() + MID_JOB_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const n = await cache.get(chaosKeys.running(run, node));
    if (typeof n === 'number' && (await cache.get(chaosKeys.done(run, n))) === undefined) return { midJob: n };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${node} ran no chaos job within ${MID_JOB_TIMEOUT_MS / 1000} s (is it consuming the default queue?)`);
}

function killMember(member: Member): void {
  if (!signalRecorded(member.process, 'SIGKILL')) throw new Error(`${member.name} (pid ${member.process.pid}) is no longer running: nothing was killed`);
}
