import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findBinary } from '../../src/cluster/binaries.ts';
import { stopCluster } from '../../src/cluster/down.ts';
import { isRunning } from '../../src/cluster/processes.ts';
import { readState, type ClusterState } from '../../src/cluster/state.ts';
import { clusterStatus, type ClusterStatus } from '../../src/cluster/status.ts';
import { generateAppKey } from '../../src/config/app-key.ts';
import { TEST_LAYOUT } from '../support/platform.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { SERVERS } from '../contract/database.fixture.ts';
import { redisSettings } from '../contract/redis-fixture.ts';
import { HostClient } from '../support/client.ts';
import { cleanupCli, describeResult, runMarg, tempDir, withCliServices } from '../support/cli.ts';
import { TEST_DOMAIN, TEST_PASSWORD } from '../support/platform.ts';
import { freePort } from '../support/redis-server.ts';
import { deleteRedisKeys, dropServerDatabase, uniqueTestStem } from '../support/server-databases.ts';
import { requireService, type ServiceStatus } from '../support/services.ts';
import { startLoad, type LoadRequest, type RunningLoad } from './load.ts';

export const DOMAIN = TEST_DOMAIN;
export const PASSWORD = TEST_PASSWORD;

/** Skips loudly (fails under MARG_REQUIRE_SERVICES=1) when the balancer is not installed. */
export function balancerInstalled(name: 'haproxy' | 'nginx'): Promise<ServiceStatus> {
  return requireService(name === 'haproxy' ? 'HAProxy' : 'nginx', async () => {
    if (!findBinary(name)) throw new Error(`${name} not found on PATH or in /usr/sbin (apt-get install ${name})`);
  });
}

/**
 * A cluster in a temp project folder, driven through the real CLI. Everything it makes is
 * removed by cleanup(): the processes (by `marg cluster down`, then by the state file), the
 * databases and Redis keys under its own stem.
 */
export class ClusterFixture {
  readonly cwd = tempDir('marg-cluster-');
  readonly dir = join(this.cwd, 'storage', 'cluster');
  readonly stem = uniqueTestStem();
  readonly env: RawEnv;
  port = 0;
  browser: HostClient | undefined;
  cookie = '';

  /** `servers`: Redis on 6379 and MariaDB on 3306 (names under this fixture's stem); else embedded SQLite. */
  constructor(readonly servers: boolean, extra: RawEnv = {}) {
    this.env = {
      APP_KEY: generateAppKey(),
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      MARG_DOMAIN: DOMAIN,
      // The load is one user at a few thousand requests a minute: the per-user API limit would answer 429.
      API_RATE_LIMIT: '0',
      SIGNIN_RATE_LIMIT: '0',
      ...(servers
        ? {
            SESSION_DRIVER: 'redis',
            CACHE_STORE: 'redis',
            QUEUE_CONNECTION: 'redis',
            REDIS_HOST: '127.0.0.1',
            REDIS_PORT: '6379',
            REDIS_PREFIX: `${this.stem}_`,
            DB_CONNECTION: 'mysql',
            DB_HOST: SERVERS.mysql.host,
            DB_PORT: String(SERVERS.mysql.port),
            DB_USERNAME: SERVERS.mysql.user,
            DB_DATABASE: this.stem,
          }
        : {}),
      ...extra,
    };
    // A test file that times out gets SIGTERM and runs no after() hook: the cluster must not outlive it.
    const emergency = () => this.killRecorded();
    process.once('exit', emergency);
    process.once('SIGTERM', () => {
      emergency();
      process.exit(143);
    });
  }

  async up(args: readonly string[]): Promise<string> {
    this.port = await freePort();
    const result = await runMarg(['cluster', 'up', '--port', String(this.port), ...args], { cwd: this.cwd, env: this.env, timeoutMs: 100_000 });
    assert.equal(result.code, 0, describeResult(result));
    return result.stdout;
  }

  cli(args: readonly string[], timeoutMs = 100_000) {
    return runMarg(['cluster', ...args], { cwd: this.cwd, env: this.env, timeoutMs });
  }

  /** What `marg cluster status --json` prints, without the seconds a CLI process costs. */
  status(): Promise<ClusterStatus> {
    return clusterStatus(this.dir);
  }

  state(): ClusterState {
    const state = readState(this.dir);
    assert.ok(state, 'the cluster has a state file');
    return state;
  }

  member(name: string) {
    const found = this.state().members.find((m) => m.name === name);
    assert.ok(found, `${name} is in the state file`);
    return found;
  }

  /** A user with editor roles in flow and links, signed in through the balancer. */
  async signIn(): Promise<{ email: string; browser: HostClient }> {
    const email = `cluster-${process.pid}-${this.stem.slice(-8)}@example.test`;
    await withCliServices(this.cwd, this.env, async (services) => {
      const user = await services.users.create({ email, name: 'Cluster User', password: PASSWORD });
      await services.rbac.grant(user.id, { app: 'flow', role: 'editor' });
      await services.rbac.grant(user.id, { app: 'links', role: 'editor' });
    });
    const browser = new HostClient(this.port, DOMAIN);
    await browser.signIn('flow', email, PASSWORD);
    this.browser = browser;
    this.cookie = await browser.jar.getCookieString(browser.url('flow', '/api/me'));
    return { email, browser };
  }

  /** Steady keep-alive load through the balancer: signed-in GET /api/me, and the redirect of `slug` if given. */
  load(options: { rate: number; connections: number; slug?: string }): RunningLoad {
    const requests: LoadRequest[] = [{ method: 'GET', path: '/api/me', headers: { host: `flow.${DOMAIN}`, cookie: this.cookie } }];
    if (options.slug) requests.push({ method: 'GET', path: `/${options.slug}`, headers: { host: `links.${DOMAIN}` } });
    return startLoad(this.port, requests, { rate: options.rate, connections: options.connections, maxSeconds: 150 });
  }

  /** SIGKILL for every recorded process still ours (synchronous: it runs in an exit handler too). */
  killRecorded(): void {
    let state: ClusterState | undefined;
    try {
      state = readState(this.dir);
    } catch {
      return;
    }
    if (!state) return;
    for (const recorded of [state.balancer.process, state.redis?.process, ...state.members.map((m) => m.process)]) {
      if (recorded && isRunning(recorded)) process.kill(recorded.pid, 'SIGKILL');
    }
  }

  async cleanup(): Promise<void> {
    if (readState(this.dir)) await this.cli(['down'], 90_000).catch(() => undefined);
    const left = readState(this.dir);
    if (left) await stopCluster(left);
    if (this.servers) {
      await Promise.allSettled([
        ...TEST_LAYOUT.databases.map((name) => dropServerDatabase({ connection: 'mysql', ...SERVERS.mysql, database: `${this.stem}_${name}`, poolMax: 1, readHosts: [] })),
        deleteRedisKeys(redisSettings({ prefix: `${this.stem}_` }), `${this.stem}_`),
      ]);
    }
    await cleanupCli();
  }
}
