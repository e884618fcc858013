import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPS } from '../../apps/index.ts';
import { generateAppKey } from '../../src/config/app-key.ts';
import { buildConfig, type Config } from '../../src/config/config.ts';
import { appLayout } from '../../src/platform/app-registry.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { databasePrefix } from '../../src/config/schema.ts';
import { createLogger, type LoggerOptions } from '../../src/observability/logger.ts';
import type { ServerDatabaseConfig } from '../../src/database/settings.ts';
import { createMissingDatabases } from '../../src/platform/connectivity.ts';
import { migrateAll } from '../../src/platform/migrate.ts';
import { createServices, type Services } from '../../src/platform/services.ts';
import { startWeb, type RunningWeb } from '../../src/platform/web-role.ts';
import { startWorker, type RunningWorker } from '../../src/platform/worker-role.ts';
import type { User } from '../../src/auth/users.ts';
import type { RoleRef } from '../../src/auth/permissions.ts';
import { HostClient } from './client.ts';
import { captureDestination, defaultTestLogLevel, recordSecret } from './log-capture.ts';
import { deleteRedisKeys, dropServerDatabase, uniqueTestStem } from './server-databases.ts';

export const TEST_DOMAIN = 'marg.localhost';
export const TEST_PASSWORD = 'correct horse battery staple';
recordSecret(TEST_PASSWORD);

/** A migrated platform in a temporary storage folder (and, on servers, databases and keys of its own). */
export interface TestPlatform {
  readonly config: Config;
  readonly services: Services;
  readonly storage: string;
  close(): Promise<void>;
}

/** The real apps' layout: their databases and where the audit log and sign-in are. */
export const TEST_LAYOUT = appLayout(APPS);
const DRIVER_VARIABLES = ['DB_CONNECTION', ...TEST_LAYOUT.databases.map((n) => `${databasePrefix(n)}DB_DRIVER`)];
const SERVER_DRIVERS = new Set(['mysql', 'mariadb', 'pgsql']);
const REDIS_DRIVER_VARIABLES = ['SESSION_DRIVER', 'CACHE_STORE', 'LOCK_STORE', 'RATE_LIMIT_STORE', 'QUEUE_CONNECTION', 'BROADCAST_CONNECTION'];

/**
 * Env for a test platform: the process environment (so `DB_CONNECTION=pgsql npm test` runs the
 * suite on PostgreSQL), temp storage, a fresh key, quiet logs; `env` overrides. When a server
 * backend is selected, the platform gets its own names under `stem`, unless `env` names them
 * itself: databases `<stem>_<name>`, and Redis keys under REDIS_PREFIX `<stem>_`. close()
 * drops and deletes exactly those.
 */
export function testEnv(storage: string, env: RawEnv = {}, stem = uniqueTestStem()): RawEnv {
  const merged: RawEnv = {
    ...process.env,
    NODE_ENV: 'test',
    APP_KEY: generateAppKey(),
    STORAGE_PATH: storage,
    MARG_DOMAIN: TEST_DOMAIN,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? defaultTestLogLevel(),
    // A metrics port from the developer's shell would be bound by every platform at once: only a test asks for one.
    METRICS_PORT: undefined,
    // Request limits are off unless a test turns them on (test/http/rate-limit.test.ts): suites send
    // hundreds of requests a minute from 127.0.0.1, far past the production defaults.
    API_RATE_LIMIT: '0',
    SIGNIN_RATE_LIMIT: '0',
    ...env,
  };
  for (const secret of ['APP_KEY', 'DB_PASSWORD', 'REDIS_PASSWORD', 'MAIL_PASSWORD']) recordSecret(merged[secret]);
  const serverDatabases = DRIVER_VARIABLES.some((name) => SERVER_DRIVERS.has(merged[name] ?? ''));
  if (serverDatabases && env.DB_DATABASE === undefined) {
    merged.DB_DATABASE = stem;
    // A database named in the shell would be shared by every platform: use the stem's instead.
    for (const name of TEST_LAYOUT.databases) {
      const variable = `${databasePrefix(name)}DB_DATABASE`;
      if (env[variable] === undefined) delete merged[variable];
    }
  }
  const redis = REDIS_DRIVER_VARIABLES.some((name) => merged[name] === 'redis');
  if (redis && env.REDIS_PREFIX === undefined) merged.REDIS_PREFIX = `${stem}_`;
  return merged;
}

/** `log`: where the platform's logger writes (default: the log capture when on, else stdout at LOG_LEVEL silent). */
export async function createTestPlatform(env: RawEnv = {}, options: { log?: LoggerOptions['destination'] } = {}): Promise<TestPlatform> {
  const storage = mkdtempSync(join(tmpdir(), 'marg-test-'));
  const stem = uniqueTestStem();
  const config = buildConfig(storage, testEnv(storage, env, stem), TEST_LAYOUT);
  // Only what carries this platform's stem is dropped: a test that names its own database keeps it.
  const ownDatabases = Object.values(config.databases).filter(
    (d): d is ServerDatabaseConfig => d.connection !== 'sqlite' && d.database.startsWith(`${stem}_`),
  );
  const ownRedisPrefix = config.redis.prefix === `${stem}_` ? config.redis.prefix : undefined;
  const cleanUp = async () => {
    const results = await Promise.allSettled([
      ...ownDatabases.map((d) => dropServerDatabase(d)),
      ...(ownRedisPrefix ? [deleteRedisKeys(config.redis, ownRedisPrefix)] : []),
    ]);
    rmSync(storage, { recursive: true, force: true });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new Error(`cleaning up the test platform ${stem} failed`, { cause: failed.reason });
  };
  let services: Services | undefined;
  try {
    await createMissingDatabases(config);
    services = await createServices(config, createLogger(config, { destination: options.log ?? captureDestination() }));
    await migrateAll(services, APPS);
  } catch (error) {
    await services?.close().catch(() => {});
    await cleanUp().catch(() => {});
    throw error;
  }
  const ready = services;
  return {
    config,
    services: ready,
    storage,
    async close() {
      try {
        await ready.close();
      } finally {
        await cleanUp();
      }
    },
  };
}

const BACKEND_VARIABLE = new RegExp(`^(DB_|(${TEST_LAYOUT.databases.map((d) => databasePrefix(d).slice(0, -1)).join('|')})_DB_|REDIS_)|^(SESSION_DRIVER|CACHE_STORE|LOCK_STORE|RATE_LIMIT_STORE|QUEUE_CONNECTION)$`);

/**
 * The variables that pick this platform's databases and Redis (drivers, hosts, its own database
 * stem and key prefix), for a CLI child that must work on the same data: the CLI helpers start
 * children without the runner's Marg variables, so a child sees the matrix backends only through this.
 */
export function backendEnv(platform: TestPlatform): RawEnv {
  return Object.fromEntries(Object.entries(platform.config.raw).filter(([name, value]) => value !== undefined && BACKEND_VARIABLE.test(name)));
}

/** The whole web role on a real TCP port (PORT=0), with helpers to make users and clients. */
export interface TestServer extends TestPlatform {
  readonly web: RunningWeb;
  readonly port: number;
  /** A new HTTP client with its own cookie jar (one browser). */
  client(): HostClient;
  createUser(options?: { email?: string; name?: string; password?: string; roles?: RoleRef[] }): Promise<User>;
}

let userCounter = 0;

/**
 * GET /health on the node's metrics port, which keeps the details (drivers, databases, node, pid)
 * that the public /health leaves out. Start the server with `METRICS_PORT: '0'`.
 */
export async function healthDetails(server: TestServer): Promise<{ status: number; body: Record<string, unknown> }> {
  const port = server.web.metrics?.port;
  if (port === undefined) throw new Error('healthDetails needs a server started with METRICS_PORT');
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** `worker`: also run a queue worker in the process (as `marg start` does), polling every 20 ms. */
export async function startTestServer(env: RawEnv = {}, options: { worker?: boolean; log?: LoggerOptions['destination'] } = {}): Promise<TestServer> {
  const platform = await createTestPlatform(env, { log: options.log });
  let web: RunningWeb;
  let worker: RunningWorker | undefined;
  try {
    web = await startWeb(platform.services, APPS);
    if (options.worker) worker = startWorker(platform.services, APPS, { idleMs: 20, graceMs: 5_000 });
  } catch (error) {
    await platform.close().catch(() => {});
    throw error;
  }
  return {
    ...platform,
    web,
    port: web.port,
    client: () => new HostClient(web.port, TEST_DOMAIN),
    async createUser(options = {}) {
      userCounter += 1;
      recordSecret(options.password);
      const user = await platform.services.users.create({
        email: options.email ?? `user${userCounter}-${process.pid}@example.test`,
        name: options.name ?? `User ${userCounter}`,
        password: options.password ?? TEST_PASSWORD,
      });
      for (const role of options.roles ?? []) await platform.services.rbac.grant(user.id, role);
      return user;
    },
    async close() {
      try {
        await web.stop();
        await worker?.stop();
      } finally {
        await platform.close();
      }
    },
  };
}
