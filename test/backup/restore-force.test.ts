import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { writeAppKey } from '../../src/config/app-key.ts';
import { cleanupCli, describeResult, runMarg, tempDir, withCliServices } from '../support/cli.ts';
import { seedEverything, snapshotData, type DataSnapshot } from './support.ts';

describe('restore over data (SQLite + local disk, real CLI)', () => {
  let dir: string;
  let seeded: DataSnapshot;
  before(async () => {
    dir = tempDir('marg-backup-force-');
    writeAppKey(dir);
    await seedEverything(dir);
    seeded = await snapshotData(dir);
  });
  after(() => cleanupCli());

  it('refuses to restore over data without --force, and restores the backup\'s state with it', async () => {
    const backup = await runMarg(['backup', '--to', 'backups'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(backup.code, 0, describeResult(backup));
    const [name] = readdirSync(join(dir, 'backups'));
    await seedExtra(dir);
    const changed = await snapshotData(dir);
    assert.notDeepEqual(changed, seeded);

    const refused = await runMarg(['restore', `backups/${name}`], { cwd: dir });
    assert.equal(refused.code, 2, describeResult(refused));
    assert.match(refused.stderr, /refusing to restore over data: database platform, database rbac, .* not empty\. Nothing was changed; add --force/);
    assert.deepEqual(await snapshotData(dir), changed);

    const forced = await runMarg(['restore', `backups/${name}`, '--force'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(forced.code, 0, describeResult(forced));
    // The extra object, rows, table and migration are gone: the data and the schema version are the backup's.
    assert.deepEqual(await snapshotData(dir), seeded);
  });
});

/** Data written after the backup, and a later migration (its table and its row in marg_migrations). */
async function seedExtra(dir: string): Promise<void> {
  await withCliServices(dir, {}, async (services) => {
    const flow = services.databases.get('flow').db;
    await sql`CREATE TABLE later_table (id integer primary key)`.execute(flow);
    await sql`INSERT INTO marg_migrations (name, timestamp) VALUES ('2099_01_01_0001_create_later_table', '2099-01-01T00:00:00.000Z')`.execute(flow);
    await services.users.create({ email: 'late@example.test', name: 'Late', password: 'correct horse battery staple' });
    await services.storage.put('avatars/late/original', Buffer.from('late'), { contentType: 'image/png' });
  });
}
