import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { APPS } from '../../apps/index.ts';
import { createBackup } from '../../src/backup/backup.ts';
import { LocalDestination, LocalReader } from '../../src/backup/local-destination.ts';
import { silentProgress } from '../../src/backup/progress.ts';
import { openBackup, restoreBackup, verifyBackup } from '../../src/backup/restore.ts';
import { backupSources } from '../../src/backup/sources.ts';
import { writeAppKey } from '../../src/config/app-key.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import type { ServerDatabaseConfig } from '../../src/database/settings.ts';
import { createMissingDatabases } from '../../src/platform/connectivity.ts';
import { migrateAll } from '../../src/platform/migrate.ts';
import { cleanupCli, tempDir, withCliServices } from '../support/cli.ts';
import { dropServerDatabase, uniqueTestStem } from '../support/server-databases.ts';
import { probeTcp, requireService } from '../support/services.ts';

const mariadb = await requireService('MariaDB', () => probeTcp('127.0.0.1', 3306), { target: '127.0.0.1:3306' });
const postgres = await requireService('PostgreSQL', () => probeTcp('127.0.0.1', 5432), { target: '127.0.0.1:5432' });
after(() => cleanupCli());

/** Padding that makes the copy take long enough for many writes to land during it. */
const PAD_ROWS = 4000;
const PAD_BYTES = 2000;

const drivers = [
  { name: 'SQLite (online backup API)', skip: undefined, env: {} as RawEnv },
  { name: 'MariaDB (mariadb-dump --single-transaction)', skip: mariadb.skipReason, env: { DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: '3306', DB_USERNAME: 'root' } as RawEnv },
  { name: 'PostgreSQL (pg_dump snapshot)', skip: postgres.skipReason, env: { DB_CONNECTION: 'pgsql', DB_HOST: '127.0.0.1', DB_PORT: '5432', DB_USERNAME: 'postgres' } as RawEnv },
];

for (const driver of drivers) {
  describe(`a backup taken during writes restores to one point in time: ${driver.name}`, { skip: driver.skip }, () => {
    it('every transaction is in the copy whole or not at all, and the writes before it are all there', async () => {
      const dir = tempDir('marg-consistency-');
      writeAppKey(dir);
      const env: RawEnv = driver.env.DB_CONNECTION ? { ...driver.env, DB_DATABASE: uniqueTestStem() } : {};
      let servers: ServerDatabaseConfig[] = [];
      try {
        await withCliServices(dir, env, async (services) => {
          servers = Object.values(services.config.databases).filter((d): d is ServerDatabaseConfig => d.connection !== 'sqlite');
          await createMissingDatabases(services.config);
          await migrateAll(services, APPS);
          const flow = services.databases.get('flow').db as Kysely<any>;
          await sql`CREATE TABLE consistency_a (n integer primary key)`.execute(flow);
          await sql`CREATE TABLE consistency_b (n integer primary key)`.execute(flow);
          await sql`CREATE TABLE consistency_pad (n integer primary key, pad text not null)`.execute(flow);
          for (let i = 0; i < PAD_ROWS; i += 200) {
            await flow.insertInto('consistency_pad').values(Array.from({ length: 200 }, (_, j) => ({ n: i + j, pad: randomBytes(PAD_BYTES / 2).toString('hex') }))).execute();
          }

          // The writer: each transaction adds n to both tables; the copy must hold both or neither.
          let written = 0;
          let stop = false;
          const writer = (async () => {
            while (!stop) {
              const n = written + 1;
              await flow.transaction().execute(async (tx) => {
                await tx.insertInto('consistency_a').values({ n }).execute();
                await tx.insertInto('consistency_b').values({ n }).execute();
              });
              written = n;
              await yieldTurn();
            }
          })();
          // Let some writes land before the backup starts.
          while (written < 20) await yieldTurn();
          const destination = new LocalDestination(`${dir}/backups`);
          const before = written;
          const { name } = await createBackup(backupSources(services), { destination, progress: silentProgress, version: 'test', node: 'test' });
          const afterBackup = written;
          stop = true;
          await writer;
          assert.ok(afterBackup - before > 0, `writes went on during the backup (${before} before, ${afterBackup} after)`);

          const reader = new LocalReader(`${dir}/backups/${name}`);
          const manifest = await openBackup(reader, undefined);
          await verifyBackup(reader, manifest, silentProgress);
          const targets = backupSources(services);
          await restoreBackup(reader, manifest, targets, undefined, silentProgress);
          await targets.close();

          const a = (await sql<{ n: number }>`SELECT n FROM consistency_a ORDER BY n`.execute(flow)).rows.map((r) => Number(r.n));
          const b = (await sql<{ n: number }>`SELECT n FROM consistency_b ORDER BY n`.execute(flow)).rows.map((r) => Number(r.n));
          assert.deepEqual(b, a, 'both tables hold the same transactions');
          assert.deepEqual(a, Array.from({ length: a.length }, (_, i) => i + 1), 'no transaction is missing before the last one copied');
          assert.ok(a.length >= before && a.length <= afterBackup, `the copy is a point between the backup's start and end (${before} ≤ ${a.length} ≤ ${afterBackup})`);
          const pad = (await sql<{ c: number }>`SELECT count(*) AS c FROM consistency_pad`.execute(flow)).rows[0]!;
          assert.equal(Number(pad.c), PAD_ROWS);
        });
      } finally {
        await Promise.all(servers.map((d) => dropServerDatabase(d)));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
