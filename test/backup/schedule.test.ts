import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { backupTask } from '../../src/backup/schedule.ts';
import { platformSchedule } from '../../src/platform/schedule.ts';
import { cleanupCli, describeResult, migratedProject, runMarg } from '../support/cli.ts';

describe('the scheduled backup (backup:run)', () => {
  after(() => cleanupCli());

  it('runs daily at 03:00 UTC on one scheduler of the cluster (the tick lock), for up to 4 hours', () => {
    assert.ok(platformSchedule.includes(backupTask));
    assert.equal(backupTask.cron, '0 3 * * *');
    assert.equal(backupTask.timezone, undefined, 'UTC, whatever the node\'s zone');
    assert.notEqual(backupTask.onOneServer, false);
    assert.notEqual(backupTask.withoutOverlapping, false);
  });

  it('writes a backup to BACKUP_PATH, encrypted with BACKUP_ENCRYPT_KEY_FILE, and applies BACKUP_KEEP_*', async () => {
    const dir = await migratedProject();
    const backups = join(dir, 'nightly');
    // Two old backups: keep-daily 1 (and no weekly/monthly) leaves only tonight's.
    for (const old of ['marg-20200101T030000Z', 'marg-20200102T030000Z']) mkdirSync(join(backups, old), { recursive: true });
    writeFileSync(join(dir, 'backup.key'), randomBytes(32).toString('hex'));
    const env = { BACKUP_PATH: 'nightly', BACKUP_ENCRYPT_KEY_FILE: join(dir, 'backup.key'), BACKUP_KEEP_DAILY: '1', BACKUP_KEEP_WEEKLY: '0', BACKUP_KEEP_MONTHLY: '0' };
    const result = await runMarg(['schedule:run', 'backup:run'], { cwd: dir, env, timeoutMs: 60_000 });
    assert.equal(result.code, 0, describeResult(result));
    const left = readdirSync(backups);
    assert.equal(left.length, 1, `only tonight's backup is left: ${left.join(', ')}`);
    assert.match(left[0]!, /^marg-\d{8}T\d{6}Z$/);
    assert.ok(readdirSync(join(backups, left[0]!)).includes('database-flow.sqlite.gz.enc'));

    const verified = await runMarg(['restore', left[0]!, '--dry-run'], { cwd: dir, env, timeoutMs: 60_000 });
    assert.equal(verified.code, 0, describeResult(verified));
    assert.match(verified.stdout, /every part matches its SHA-256/);
  });
});
