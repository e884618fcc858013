import type { Config } from '../config/config.ts';
import { databasePrefix } from '../config/schema.ts';
import { createDatabaseIfMissing } from '../database/manager.ts';
import type { Services } from './services.ts';
import { UnreachableError } from './errors.ts';

export { UnreachableError };

const TIMEOUT_MS = 5_000;

/** Creates each server database that does not exist yet (what `marg migrate` and `marg start` do first). */
export async function createMissingDatabases(config: Config): Promise<string[]> {
  const created: string[] = [];
  for (const [name, settings] of Object.entries(config.databases)) {
    if (settings.connection === 'sqlite') continue;
    try {
      if (await createDatabaseIfMissing(settings)) created.push(`${settings.database} (${name})`);
    } catch (error) {
      throw new UnreachableError(`cannot reach the ${name} database server ${whereIs(name, config)}: ${reason(error)}`);
    }
  }
  return created;
}

/** Fails fast, naming the variables to check, when a configured database or Redis does not answer. */
export async function assertReachable(services: Services): Promise<void> {
  const { config } = services;
  const failures = Object.entries(await services.databases.ping()).filter(([, error]) => error !== null);
  if (failures.length > 0) {
    const [name, error] = failures[0]!;
    throw new UnreachableError(`cannot reach the ${name} database ${whereIs(name, config)}: ${error}`);
  }
  if (services.redis) {
    try {
      await services.redis.ready(TIMEOUT_MS);
    } catch (error) {
      throw new UnreachableError(`${reason(error)} (check REDIS_URL, REDIS_HOST/REDIS_PORT or REDIS_SENTINELS)`);
    }
  }
  // The Redis queue has a connection of its own, opened on first use: open it now, so a role
  // that dispatches jobs does not start without it, and its first dispatch does not wait for a connect.
  if (config.queue.connection === 'redis') {
    try {
      await services.queue.ping(TIMEOUT_MS);
    } catch (error) {
      throw new UnreachableError(`the Redis queue: ${reason(error)} (check REDIS_URL, REDIS_HOST/REDIS_PORT or REDIS_SENTINELS)`);
    }
  }
  // The local disk is checked by /health; an S3 bucket that does not answer would fail every upload.
  if (config.filesystem.disk === 's3') {
    try {
      await Promise.race([services.storage.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS * 2} ms`)), TIMEOUT_MS * 2).unref())]);
    } catch (error) {
      throw new UnreachableError(`${reason(error)} (check AWS_ENDPOINT, AWS_BUCKET, AWS_DEFAULT_REGION and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`);
    }
  }
}

function whereIs(name: string, config: Config): string {
  const settings = config.databases[name];
  const prefix = databasePrefix(name);
  if (!settings) return `"${name}" (not configured)`;
  if (settings.connection === 'sqlite') return `file ${settings.file} (${prefix}DB_DATABASE, STORAGE_PATH)`;
  return `"${settings.database}" on ${settings.connection} at ${settings.host}:${settings.port} as ${settings.user} (${prefix}DB_* or DB_*)`;
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message || (code ?? 'unknown error');
}
