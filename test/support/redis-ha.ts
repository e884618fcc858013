import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { withOneShotRedis } from '../../src/redis/one-shot.ts';
import { renderConfig } from './deploy-configs.ts';
import { freePort, launchRedis, type PrivateRedis } from './redis-server.ts';

/** The service name deploy/redis/sentinel.conf monitors (the guides' `marg-redis`). */
export const SENTINEL_SERVICE = 'marg-redis';

/**
 * The guides' Phase 4 Redis on loopback, started from deploy/redis/*.conf as shipped (only
 * port, dir, bind, pidfile, logfile, the password and the monitored address are overridden):
 * a primary, a replica, and three Sentinels (quorum 2, down-after 5000 ms). Resolves once
 * every Sentinel knows the replica and the two other Sentinels, so a failover can happen.
 */
export interface RedisHa {
  readonly password: string;
  readonly primary: PrivateRedis;
  /** The first replica (of `replicas`). */
  readonly replica: PrivateRedis;
  readonly replicas: readonly PrivateRedis[];
  readonly sentinels: readonly PrivateRedis[];
  /** REDIS_SENTINELS for Marg: `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  readonly sentinelList: string;
  /** The primary's port as the first answering Sentinel names it now. */
  primaryPort(): Promise<number>;
  /** A client on one node (by port), with the password. The caller disconnects it. */
  client(port: number): Redis;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

/**
 * A `marg cluster`'s env with every Redis store (sessions, cache, locks, rate limits, queue)
 * behind the Sentinels, under its own key prefix; REDIS_SENTINELS and REDIS_PASSWORD follow
 * once the HA runs (sentinelEnv). REDIS_PORT points where nothing listens, so only the Sentinels
 * can lead a client to the primary; a 4 s reservation brings back within seconds a job whose
 * completion a failover lost (the default is 90 s).
 */
export function sentinelClusterEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SESSION_DRIVER: 'redis',
    CACHE_STORE: 'redis',
    LOCK_STORE: 'redis',
    RATE_LIMIT_STORE: 'redis',
    QUEUE_CONNECTION: 'redis',
    REDIS_PREFIX: prefix,
    REDIS_SENTINEL_SERVICE: SENTINEL_SERVICE,
    REDIS_PORT: '1',
    QUEUE_RETRY_AFTER: '4',
    ...extra,
  };
}

/** What points Marg at a running HA: its Sentinels and password. */
export function sentinelEnv(ha: RedisHa): Record<string, string> {
  return { REDIS_SENTINELS: ha.sentinelList, REDIS_PASSWORD: ha.password };
}

export async function startRedisHa(options: { replicas?: number } = {}): Promise<RedisHa> {
  const replicaCount = options.replicas ?? 1;
  const password = randomBytes(12).toString('hex');
  const started: PrivateRedis[] = [];
  const stopAll = () => Promise.allSettled(started.map((s) => s.stop()));
  try {
    const primary = await node('redis-primary.conf', password, {});
    started.push(primary);
    const replicas: PrivateRedis[] = [];
    for (let i = 0; i < replicaCount; i++) {
      const replica = await node('redis-replica.conf', password, { replicaof: `127.0.0.1 ${primary.port}` });
      started.push(replica);
      replicas.push(replica);
    }
    const sentinels: PrivateRedis[] = [];
    for (let i = 0; i < 3; i++) {
      const sentinel = await startSentinel(primary.port, password);
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    await waitUntil('every Sentinel to see the replica and the two other Sentinels', async () => {
      for (const sentinel of sentinels) {
        const info = await sentinelMaster(sentinel.port);
        if (info['num-slaves'] !== String(replicaCount) || info['num-other-sentinels'] !== '2') return false;
      }
      const link = await withClient(primary.port, password, (c) => c.info('replication'));
      return new RegExp(`connected_slaves:${replicaCount}`).test(link) && (link.match(/state=online/g) ?? []).length === replicaCount;
    });
    const primaryPort = async (): Promise<number> => {
      for (const sentinel of sentinels) {
        try {
          const [, port] = (await withClient(sentinel.port, undefined, (c) => c.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_SERVICE))) as [string, string];
          return Number(port);
        } catch {
          // that Sentinel is down: ask the next one
        }
      }
      throw new Error('no Sentinel answered');
    };
    return {
      password,
      primary,
      replica: replicas[0]!,
      replicas,
      sentinels,
      sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      primaryPort,
      client(port) {
        const client = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 1 });
        client.on('error', () => {});
        return client;
      },
      async stop() {
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function node(file: string, password: string, extra: Record<string, string>): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'marg-redis-ha-'));
  const config = renderConfig(
    `redis/${file}`,
    { bind: '127.0.0.1', port: String(port), dir, pidfile: join(dir, 'redis.pid'), logfile: '""', requirepass: password, masterauth: password, ...extra },
    join(dir, file),
  );
  return launchRedis('redis-server', [config], port, dir, async () => (await withClient(port, password, (c) => c.ping())) === 'PONG');
}

async function startSentinel(primaryPort: number, password: string): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'marg-sentinel-ha-'));
  // Sentinel rewrites its file: each gets a copy of its own.
  const config = renderConfig(
    'redis/sentinel.conf',
    {
      bind: '127.0.0.1',
      port: String(port),
      dir,
      pidfile: join(dir, 'sentinel.pid'),
      logfile: '""',
      [`sentinel monitor ${SENTINEL_SERVICE}`]: `127.0.0.1 ${primaryPort} 2`,
      [`sentinel auth-pass ${SENTINEL_SERVICE}`]: password,
    },
    join(dir, 'sentinel.conf'),
  );
  return launchRedis('redis-sentinel', [config], port, dir, async () => (await sentinelMaster(port))['port'] === String(primaryPort));
}

async function sentinelMaster(port: number): Promise<Record<string, string>> {
  const flat = (await withClient(port, undefined, (c) => c.call('SENTINEL', 'master', SENTINEL_SERVICE))) as string[];
  const info: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) info[flat[i]!] = flat[i + 1]!;
  return info;
}

function withClient<T>(port: number, password: string | undefined, work: (client: Redis) => Promise<T>): Promise<T> {
  return withOneShotRedis({ host: '127.0.0.1', port, password }, work);
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${READY_TIMEOUT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
