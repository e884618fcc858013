import type { Config } from '../config/config.ts';
import type { ExperimentKind, Plan, Skipped, Target } from './contract.ts';
import { runKillHook } from './kill-hook.ts';
import { redisPrimaryTarget } from './redis-primary.ts';

/**
 * Targets of a cluster `marg chaos` did not start (`--target URL`): only the operator's
 * commands kill anything. The Redis primary is still found through Sentinel (REDIS_SENTINELS),
 * so its command gets MARG_CHAOS_HOST/PORT and the table can say when Sentinel switched.
 */
export async function hookPlan(config: Config, kinds: readonly ExperimentKind[], hooks: ReadonlyMap<ExperimentKind, string>): Promise<Plan> {
  const targets: Target[] = [];
  const skipped: Skipped[] = [];
  for (const kind of kinds) {
    const hook = hooks.get(kind);
    try {
      const found = kind === 'redis-primary' && hook && config.redis.sentinels.length > 0 ? await redisPrimaryTarget(config.redis, hook) : hookOnly(kind, hook, config);
      if ('reason' in found) skipped.push(found);
      else targets.push(found);
    } catch (error) {
      skipped.push({ kind, reason: (error as Error).message });
    }
  }
  return { targets, skipped };
}

/** Experiments only the operator's command can carry out (a database replica is not something the cluster started). */
export function hookOnly(kind: ExperimentKind, hook: string | undefined, config: Config): Target | Skipped {
  if (!hook) return { kind, reason: `no --kill-cmd ${kind}='…' given` };
  const platform = config.databases.platform;
  const replica = kind === 'db-replica' && platform && platform.connection !== 'sqlite' ? platform.readHosts[0] : undefined;
  const env: Record<string, string> = { MARG_CHAOS_EXPERIMENT: kind, ...(replica ? { MARG_CHAOS_HOST: replica.host, MARG_CHAOS_PORT: String(replica.port) } : {}) };
  return { kind, label: `${replica ? `${kind} ${replica.host}:${replica.port}` : kind} (your command)`, kill: () => runKillHook(hook, env) };
}
