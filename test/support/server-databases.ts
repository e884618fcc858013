import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { ServerDatabaseConfig } from '../../src/database/settings.ts';
import { redisOptions } from '../../src/redis/connection.ts';
import type { RedisSettings } from '../../src/redis/settings.ts';

/**
 * Tests never touch data they did not make: each platform or contract run gets names of
 * its own (`marg_t<pid>_<random>`), and drops or deletes exactly what carries them.
 * The pid lets scripts/drop-test-databases.js tell a crashed run's leftovers from a live one's.
 */
export function uniqueTestStem(): string {
  return `marg_t${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Drops one server database; PostgreSQL first ends the sessions still on it (pools closing late). */
export async function dropServerDatabase(config: ServerDatabaseConfig): Promise<void> {
  if (config.connection === 'mysql') {
    const connection = await createConnection({ host: config.host, port: config.port, user: config.user, password: config.password, connectTimeout: 5_000 });
    try {
      await connection.query(`DROP DATABASE IF EXISTS \`${config.database.replaceAll('`', '``')}\``);
    } finally {
      await connection.end();
    }
    return;
  }
  const client = new pg.Client({ host: config.host, port: config.port, user: config.user, password: config.password, database: 'postgres', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [config.database]);
    await client.query(`DROP DATABASE IF EXISTS "${config.database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** Deletes every key under `prefix` (SCAN + UNLINK on a connection of its own). */
export async function deleteRedisKeys(settings: RedisSettings, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_.:-]+$/.test(prefix)) throw new Error(`refusing to delete Redis keys under ${JSON.stringify(prefix)}`);
  const client = new Redis({ ...redisOptions(settings), lazyConnect: true });
  client.on('error', () => {});
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
  return deleted;
}
