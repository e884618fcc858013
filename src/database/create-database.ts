import type { ServerDatabaseConfig } from './settings.ts';

/**
 * Creates the database on its server when it does not exist yet (run by `marg migrate`),
 * so a fresh MySQL/PostgreSQL needs only a user with CREATE rights. Names are validated
 * in config; quoting here is belt and braces. The client package is imported here, for the
 * kind asked, so the module costs nothing to a process that never creates a database.
 */
export async function ensureDatabaseExists(config: ServerDatabaseConfig): Promise<boolean> {
  if (config.connection === 'mysql') {
    const { createConnection } = await import('mysql2/promise');
    const connection = await createConnection({ host: config.host, port: config.port, user: config.user, password: config.password, connectTimeout: 5_000 });
    try {
      const [result] = await connection.query(`CREATE DATABASE IF NOT EXISTS \`${config.database.replaceAll('`', '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      return (result as { warningStatus?: number }).warningStatus === 0;
    } finally {
      await connection.end();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: config.host, port: config.port, user: config.user, password: config.password, database: 'postgres', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [config.database]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${config.database.replaceAll('"', '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}
