#!/usr/bin/env node
// Drops what a killed test run left on the local servers: databases and Redis keys named
// `marg_t<pid>_<8 hex>...` (test/support/server-databases.ts) whose process is gone. A live
// process's names are kept, so this is safe beside a running suite. Servers that do not
// answer are skipped. Usage: node scripts/drop-test-databases.js [--dry-run]
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';

const dryRun = process.argv.includes('--dry-run');
const NAME = /^marg_t(\d+)_[0-9a-f]{8}(?:_|$)/;

function abandoned(name) {
  const pid = Number(NAME.exec(name)?.[1]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

async function mysqlLeftovers() {
  const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', connectTimeout: 2_000 });
  try {
    const [rows] = await connection.query("SHOW DATABASES LIKE 'marg\\_t%'");
    const names = rows.map((r) => Object.values(r)[0]).filter(abandoned);
    for (const name of names) if (!dryRun) await connection.query(`DROP DATABASE IF EXISTS \`${name.replaceAll('`', '``')}\``);
    return names;
  } finally {
    await connection.end();
  }
}

async function pgsqlLeftovers() {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'marg\\_t%'");
    const names = rows.map((r) => r.datname).filter(abandoned);
    for (const name of names) {
      if (dryRun) continue;
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}"`);
    }
    return names;
  } finally {
    await client.end();
  }
}

async function redisLeftovers() {
  const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'marg_t*', 'COUNT', 1000);
      cursor = next;
      const stale = keys.filter(abandoned);
      count += stale.length;
      if (stale.length > 0 && !dryRun) await client.unlink(...stale);
    } while (cursor !== '0');
    return [`${count} keys`];
  } finally {
    client.disconnect();
  }
}

for (const [server, sweep] of [['mysql', mysqlLeftovers], ['pgsql', pgsqlLeftovers], ['redis', redisLeftovers]]) {
  try {
    const names = await sweep();
    console.log(`${server}: ${dryRun ? 'would drop' : 'dropped'} ${names.length === 0 ? 'nothing' : names.join(', ')}`);
  } catch (error) {
    console.log(`${server}: skipped (${error.code ?? error.message})`);
  }
}
