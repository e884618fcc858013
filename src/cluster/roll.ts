import { loadConfig } from '../config/config.ts';
import type { AppModule } from '../platform/app-module.ts';
import { checkClusterDrivers } from './environment.ts';
import { stopMember, waitUntilReady } from './members.ts';
import { describeStop, isRunning } from './processes.ts';
import { backendOf, backends, balancerOf, ClusterError, clusterDir, launchContext, memberConfig, membersOf, migrateOnce, requireState, startMember } from './site.ts';
import { acquireLock, writeState, type Member, type Role } from './state.ts';

/**
 * `marg cluster roll`: the guides' one-server-at-a-time deploy. For each web node: start a new
 * one (the code and configuration as they are now), wait until it is ready, add it to the
 * balancer, take the old one out (no new requests), let it drain and stop. Then workers and
 * schedulers, each new one running before its old one stops (SIGTERM lets running jobs finish).
 * Capacity never drops below what it was, and the cluster is never without a ready node.
 */
export async function clusterRoll(options: { dir?: string | undefined; apps: readonly AppModule[] }, say: (line: string) => void): Promise<void> {
  const dir = clusterDir(loadConfig(), options.dir);
  const release = acquireLock(dir);
  try {
    const state = requireState(dir);
    const balancer = balancerOf(state, dir);
    if (!state.balancer.process || !isRunning(state.balancer.process)) {
      throw new ClusterError(`${state.balancer.kind} is not running: stop the rest with \`marg cluster down\` and start again with \`marg cluster up\``);
    }
    const config = memberConfig(options.apps, state.cwd, state.env);
    checkClusterDrivers(config);
    // New code may bring migrations: new nodes refuse unmigrated databases, old ones run on the additive schema.
    for (const line of await migrateOnce(config, options.apps)) say(line);
    const context = launchContext(state, dir);
    const save = () => writeState(dir, state);

    /** Starts the new member and takes the old one out of service; resolves with the old one's stop. */
    const replace = async (old: Member): Promise<{ stopped: Promise<void> }> => {
      const role: Role = old.role;
      const fresh = await startMember(context, role, config, state);
      const { name, port } = fresh;
      state.members.push(fresh);
      save();
      try {
        await waitUntilReady(fresh);
      } catch (error) {
        await stopMember(fresh, state.drainSeconds);
        state.members = state.members.filter((m) => m !== fresh);
        save();
        throw new ClusterError(`roll stopped: the new ${name} did not start, and ${old.name} keeps running (${(error as Error).message})`);
      }
      if (role === 'web' || role === 'realtime') {
        await balancer.add(backendOf(fresh), backends(state));
        await balancer.disable(backendOf(old), backends(state).filter((b) => b.name !== old.name));
      }
      // Wrapped: an async function that returns a promise would wait for it.
      const stopped = (async () => {
        const outcome = await stopMember(old, state.drainSeconds);
        state.members = state.members.filter((m) => m !== old);
        save();
        if (role === 'web' || role === 'realtime') await balancer.forget(backendOf(old), backends(state));
        say(`${old.name} → ${fresh.name}${port ? ` (port ${port})` : ''}: ${old.name} ${describeStop(outcome)}`);
      })();
      stopped.catch(() => {}); // reported by the allSettled below
      return { stopped };
    };

    // Web nodes one after the other, and meanwhile workers then schedulers. An old member drains
    // while the next new one boots: it is out of service already, and its replacement took over.
    const stopping: Promise<void>[] = [];
    const chain = async (roles: readonly Role[]) => {
      for (const role of roles) for (const old of membersOf(state, role)) stopping.push((await replace(old)).stopped);
    };
    const chains = await Promise.allSettled([chain(['web']), chain(['worker', 'scheduler'])]);
    const stops = await Promise.allSettled(stopping);
    const failed = [...chains, ...stops].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // The rendered config names exactly the nodes now running (each step rendered its own view).
    await balancer.render(backends(state));
  } finally {
    release();
  }
}
