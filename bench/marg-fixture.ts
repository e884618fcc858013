import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { APPS } from '../apps/index.ts';
import { generateAppKey } from '../src/config/app-key.ts';
import { buildConfig, type Config } from '../src/config/config.ts';
import { appLayout } from '../src/platform/app-registry.ts';
import { parseRoleRef } from '../src/auth/permissions.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMissingDatabases } from '../src/platform/connectivity.ts';
import { migrateAll } from '../src/platform/migrate.ts';
import { createServices } from '../src/platform/services.ts';

export const DOMAIN = 'marg.localhost';
export const PASSWORD = 'bench password, not a secret';
export const EMAIL = 'bench@example.test';

export type Drivers = 'embedded' | 'servers';

/**
 * One Marg deployment for the benchmark: its environment, a migrated storage (SQLite in a
 * temp folder, or uniquely named MariaDB databases and a Redis key prefix), and one user
 * who may read and create tasks and links. `teardown` removes everything it made.
 */
export interface MargFixture {
  readonly drivers: Drivers;
  readonly env: NodeJS.ProcessEnv;
  readonly describe: string;
  teardown(): Promise<void>;
}

export async function createMargFixture(drivers: Drivers, port: number): Promise<MargFixture> {
  const storage = mkdtempSync(join(tmpdir(), 'marg-bench-'));
  const stem = `marg_bench_${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // Production settings: what a deployed web role runs with (request logs at info included).
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    APP_KEY: generateAppKey(),
    STORAGE_PATH: storage,
    MARG_DOMAIN: DOMAIN,
    HOST: '127.0.0.1',
    PORT: String(port),
    SHUTDOWN_DRAIN_SECONDS: '0',
    // One web process: the budgets are per core (the server is pinned to one); bench/start.ts compares 2 with 1.
    WEB_CONCURRENCY: '1',
    // The limiter runs as in production, but one client sending thousands of requests a second
    // must not be turned away: a 429 is not a measurement (the defaults stopped the bench).
    API_RATE_LIMIT: '1000000000',
    SIGNIN_RATE_LIMIT: '1000000000',
    ...(drivers === 'servers'
      ? {
          SESSION_DRIVER: 'redis',
          CACHE_STORE: 'redis',
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: '6379',
          REDIS_PREFIX: `${stem}:`,
          DB_CONNECTION: 'mysql',
          DB_HOST: '127.0.0.1',
          DB_PORT: '3306',
          DB_USERNAME: 'root',
          DB_DATABASE: stem,
        }
      : {}),
  };
  const config = buildConfig(storage, env, appLayout(APPS));
  // Each step runs even when another fails (a server that went away must not leave the rest behind).
  const teardown = async () => {
    const steps = [() => rmSync(storage, { recursive: true, force: true })];
    if (drivers === 'servers') steps.push(() => dropDatabases(config, stem), () => deleteRedisKeys(stem));
    const failures = (await Promise.allSettled(steps.map(async (step) => step()))).filter((r) => r.status === 'rejected');
    if (failures.length > 0) throw new AggregateError(failures.map((f) => f.reason), `cleaning up ${stem} failed: drop its databases and ${stem}:* keys by hand`);
  };
  try {
    await prepare(config);
  } catch (error) {
    await teardown().catch((cleanup: unknown) => process.stderr.write(`${String(cleanup)}\n`));
    throw error;
  }
  const describe =
    drivers === 'servers'
      ? `SESSION_DRIVER=redis CACHE_STORE=redis DB_CONNECTION=mysql (MariaDB 127.0.0.1:3306, databases ${stem}_*, REDIS_PREFIX=${stem}:)`
      : 'embedded: SESSION_DRIVER=sqlite CACHE_STORE=sqlite DB_CONNECTION=sqlite (defaults)';
  return { drivers, env, describe, teardown };
}

/** What `marg migrate` does, plus the benchmark user (flow:editor, links:editor). */
async function prepare(config: Config): Promise<void> {
  await createMissingDatabases(config);
  const services = await createServices(config, createLogger({ logLevel: 'warn' }));
  try {
    await migrateAll(services, APPS);
    const user = await services.users.create({ email: EMAIL, name: 'Bench User', password: PASSWORD });
    for (const role of ['flow:editor', 'links:editor']) {
      const ref = parseRoleRef(role);
      if (!ref) throw new Error(`bad role ${role}`);
      await services.rbac.grant(user.id, ref);
    }
  } finally {
    await services.close();
  }
}

/** Drops the databases this run created (nothing else is touched). */
async function dropDatabases(config: Config, stem: string): Promise<void> {
  const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', connectTimeout: 5_000 });
  try {
    for (const settings of Object.values(config.databases)) {
      const database = settings.connection === 'sqlite' ? undefined : settings.database;
      if (database?.startsWith(stem)) await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
    }
  } finally {
    await connection.end();
  }
}

/** Deletes this run's Redis keys (its own prefix only). */
async function deleteRedisKeys(stem: string): Promise<void> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stem}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
