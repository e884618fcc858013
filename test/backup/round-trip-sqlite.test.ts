import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';
import { writeAppKey } from '../../src/config/app-key.ts';
import { rowCount, seedEverything, snapshotData, type DataSnapshot } from './support.ts';

describe('backup and restore round trip on SQLite + local disk (real CLI)', () => {
  let dir: string;
  let seeded: DataSnapshot;
  before(async () => {
    dir = tempDir('marg-backup-');
    writeAppKey(dir);
    await seedEverything(dir);
    seeded = await snapshotData(dir);
  });
  after(() => cleanupCli());

  it('backs up, is wiped, restores every row and every file byte for byte, on the backup\'s schema version', async () => {
    assert.ok(rowCount(seeded, 'rbac', 'users') >= 2 && rowCount(seeded, 'flow', 'tasks') > 0 && rowCount(seeded, 'links', 'links') > 0 && rowCount(seeded, 'links', 'link_clicks_daily') > 0);
    assert.ok(Object.keys(seeded.files).length >= 5);

    const backup = await runMarg(['backup', '--to', 'backups'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(backup.code, 0, describeResult(backup));
    // Not a terminal: one plain line per part, with sizes and a rate.
    assert.match(backup.stderr, /^database flow: .* in .* s \(.*\/s\), stored \d+ bytes as database-flow\.sqlite\.gz$/m);
    assert.match(backup.stderr, /^storage \(local\): /m);
    const [name] = readdirSync(join(dir, 'backups'));

    const list = await runMarg(['backup:list', '--to', 'backups'], { cwd: dir });
    assert.equal(list.code, 0, describeResult(list));
    assert.match(list.stdout, new RegExp(`^${name}\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\s+[\\d.]+ (KB|MB)\\s+6\\s+\\d+ min$`, 'm'));

    // Wipe: every database file and every stored object.
    rmSync(join(dir, 'storage', 'database'), { recursive: true, force: true });
    rmSync(join(dir, 'storage', 'app'), { recursive: true, force: true });

    const dry = await runMarg(['restore', `backups/${name}`, '--dry-run'], { cwd: dir });
    assert.equal(dry.code, 0, describeResult(dry));
    assert.match(dry.stdout, /every part matches its SHA-256/);
    assert.match(dry.stdout, /Dry run: nothing was changed/);
    assert.deepEqual(readdirSync(join(dir, 'storage')).filter((f) => f === 'app'), [], 'a dry run writes no object');

    const restore = await runMarg(['restore', `backups/${name}`], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(restore.code, 0, describeResult(restore));
    const restored = await snapshotData(dir);
    assert.deepEqual(restored, seeded);
  });
});
