import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPS } from '../../apps/index.ts';
import { generateAppKey } from '../../src/config/app-key.ts';
import { buildConfig, type Config } from '../../src/config/config.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { migrateAll } from '../../src/platform/migrate.ts';
import { createServices, type Services } from '../../src/platform/services.ts';
import { startWeb, type RunningWeb } from '../../src/platform/web-role.ts';
import type { User } from '../../src/auth/users.ts';
import type { RoleRef } from '../../src/auth/permissions.ts';
import { HostClient } from './client.ts';

export const TEST_DOMAIN = 'marg.localhost';
export const TEST_PASSWORD = 'correct horse battery staple';

/** A migrated platform in a temporary storage folder. */
export interface TestPlatform {
  readonly config: Config;
  readonly services: Services;
  readonly storage: string;
  close(): Promise<void>;
}

/** Env for a test platform: temp storage, a fresh key, quiet logs; `env` overrides. */
export function testEnv(storage: string, env: RawEnv = {}): RawEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    APP_KEY: generateAppKey(),
    STORAGE_PATH: storage,
    MARG_DOMAIN: TEST_DOMAIN,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...env,
  };
}

export async function createTestPlatform(env: RawEnv = {}): Promise<TestPlatform> {
  const storage = mkdtempSync(join(tmpdir(), 'marg-test-'));
  const config = buildConfig(storage, testEnv(storage, env));
  const services = createServices(config, createLogger(config));
  await migrateAll(services, APPS);
  return {
    config,
    services,
    storage,
    async close() {
      await services.close();
      rmSync(storage, { recursive: true, force: true });
    },
  };
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

export async function startTestServer(env: RawEnv = {}): Promise<TestServer> {
  const platform = await createTestPlatform(env);
  const web = await startWeb(platform.services, APPS);
  return {
    ...platform,
    web,
    port: web.port,
    client: () => new HostClient(web.port, TEST_DOMAIN),
    async createUser(options = {}) {
      userCounter += 1;
      const user = await platform.services.users.create({
        email: options.email ?? `user${userCounter}-${process.pid}@example.test`,
        name: options.name ?? `User ${userCounter}`,
        password: options.password ?? TEST_PASSWORD,
      });
      for (const role of options.roles ?? []) await platform.services.rbac.grant(user.id, role);
      return user;
    },
    async close() {
      await web.stop();
      await platform.close();
    },
  };
}
