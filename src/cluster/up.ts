import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { writeAppKey } from '../config/app-key.ts';
import { loadConfig } from '../config/config.ts';
import type { AppModule } from '../platform/app-module.ts';
import { appLayout } from '../platform/app-registry.ts';
import { balancerBinary, createBalancer } from './balancer.ts';
import type { BalancerKind } from './balancer-contract.ts';
import { stopCluster } from './down.ts';
import { checkClusterDrivers, ownRedisEnv } from './environment.ts';
import { freePort, waitUntilReady } from './members.ts';
import { startOwnRedis } from './own-redis.ts';
import { isRunning } from './processes.ts';
import { backends, ClusterError, clusterDir, launchContext, memberConfig, migrateOnce, startMember } from './site.ts';
import { acquireLock, readState, removeState, statePaths, writeState, type ClusterState, type Role } from './state.ts';

export interface UpOptions {
  readonly web: number;
  readonly workers: number;
  readonly schedulers: number;
  /** Realtime nodes (`marg realtime`); they need BROADCAST_CONNECTION=redis and REVERB_APP_*. */
  readonly realtime?: number;
  readonly balancer: BalancerKind;
  /** Where the balancer listens: PORT (default 8080) and HOST unless given. */
  readonly port?: number | undefined;
  readonly host?: string | undefined;
  readonly ownRedis: boolean;
  readonly dir?: string | undefined;
  /** The apps every member serves and migrates. */
  readonly apps: readonly AppModule[];
}

/**
 * `marg cluster up`: migrate once, start the members, wait until each is ready, then start the
 * balancer in front of the web nodes. Whatever fails, everything started so far is stopped again.
 */
export async function clusterUp(options: UpOptions, say: (line: string) => void): Promise<{ state: ClusterState; dir: string }> {
  const cwd = process.cwd();
  let config = loadConfig({ cwd, layout: appLayout(options.apps) });
  const dir = clusterDir(config, options.dir);
  const found = balancerBinary(options.balancer);
  if ('missing' in found) throw new ClusterError(found.missing);
  // Refuse memory drivers before anything starts (with --own-redis, every store is Redis anyway).
  if (!options.ownRedis) checkClusterDrivers(config);
  if (!config.appKey) {
    // Every member reads the same .env, so one key written here is the cluster's key.
    writeAppKey(cwd);
    say('Generated APP_KEY and wrote it to .env (keep that file out of version control).');
    config = loadConfig({ cwd, layout: appLayout(options.apps) });
  }

  const release = acquireLock(dir);
  try {
    const existing = readState(dir);
    if (existing) {
      const running = [existing.balancer.process, existing.redis?.process, ...existing.members.map((m) => m.process)].filter((p) => p && isRunning(p));
      if (running.length > 0) throw new ClusterError(`a cluster already runs from ${dir} (${running.length} processes): see \`marg cluster status\`, or stop it with \`marg cluster down\``);
      removeState(dir);
    }
    const host = options.host ?? config.host;
    const port = options.port ?? (config.port === 0 ? await freePort(host) : config.port);
    await assertPortFree(host, port);
    // Fresh logs: readiness is read from them, and a previous cluster's lines would answer for new members.
    rmSync(statePaths(dir).logs, { recursive: true, force: true });
    mkdirSync(statePaths(dir).logs, { recursive: true });

    const state: ClusterState = {
      version: 1,
      createdAt: new Date().toISOString(),
      cwd,
      balancer: { kind: options.balancer, host, port, config: '' },
      env: {},
      drainSeconds: 0,
      counters: { web: 0, worker: 0, scheduler: 0, realtime: 0 },
      members: [],
    };
    writeState(dir, state);
    try {
      if (options.ownRedis) {
        const redis = await startOwnRedis(dir);
        state.redis = redis;
        state.env = ownRedisEnv(redis.port);
        writeState(dir, state);
        say(`Started redis-server on 127.0.0.1:${redis.port} (sessions, cache, locks, rate limits, queue).`);
      }
      const members = memberConfig(options.apps, cwd, state.env);
      for (const note of checkClusterDrivers(members)) say(`note: ${note}`);
      const realtime = options.realtime ?? 0;
      if (realtime > 0 && members.realtime.driver !== 'redis') throw new ClusterError('realtime nodes share channels through Redis: set BROADCAST_CONNECTION=redis (with --own-redis or REDIS_*)');
      if (realtime > 0 && !members.realtime.app) throw new ClusterError('realtime nodes need REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET (`npm start` writes them to .env)');
      state.balancer.realtimeHost = members.realtime.host;
      const balancer = createBalancer(options.balancer, { dir, host, port, binary: found.binary, realtimeHost: members.realtime.host });
      state.drainSeconds = Math.max(members.http.drainSeconds, balancer.drainSeconds);

      for (const line of await migrateOnce(members, options.apps)) say(line);

      const context = launchContext(state, dir);
      const launch = async (role: Role) => {
        state.members.push(await startMember(context, role, members, state));
        writeState(dir, state);
      };
      for (let i = 0; i < options.web; i++) await launch('web');
      for (let i = 0; i < options.workers; i++) await launch('worker');
      for (let i = 0; i < options.schedulers; i++) await launch('scheduler');
      for (let i = 0; i < realtime; i++) await launch('realtime');
      await Promise.all(state.members.map((m) => waitUntilReady(m)));

      state.balancer.process = await balancer.start(backends(state));
      state.balancer.config = balancer.configFile;
      if (balancer.socket) state.balancer.socket = balancer.socket;
      writeState(dir, state);
      return { state, dir };
    } catch (error) {
      say('Starting the cluster failed: stopping what was started.');
      await stopCluster(state);
      removeState(dir);
      throw error;
    }
  } finally {
    release();
  }
}

/** A taken balancer port is found before anything starts (`marg start` on 8080, say). */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ClusterError(`the balancer cannot listen on ${host}:${port} (${error.code ?? error.message}): stop what uses it, or pass --port`)),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
