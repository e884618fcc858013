import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RawEnv } from '../../src/config/env-files.ts';
import { cleanupCli, describeResult, runMarg } from '../support/cli.ts';
import { snapshotData, type DataSnapshot } from './support.ts';
import { startS3BackupProject, type S3BackupProject } from './s3-project.ts';

/**
 * `marg backup --to s3://…`, `backup:list`, retention and `restore` through the real CLI, with
 * the backups in an s3rver bucket (the data itself on SQLite + local disk: the MariaDB + S3
 * round trip is round-trip-mariadb-s3.test.ts; damaged backups on S3: s3-corrupt.test.ts).
 */
describe('backups on S3 (s3rver) through the real CLI: backup, list, retention, restore', () => {
  let project: S3BackupProject;
  let dir: string;
  let url: string;
  let env: RawEnv;
  let seeded: DataSnapshot;
  const names: string[] = [];

  before(async () => {
    project = await startS3BackupProject('marg-backup-s3-');
    ({ url, env, dir } = project);
    seeded = await snapshotData(dir);
  });
  after(async () => {
    await cleanupCli();
    await project?.close();
  });

  const keys = (prefix: string) => project.keys(prefix);

  it('backs up to s3://bucket/prefix and lists the backup from the same URL', async () => {
    const backup = await runMarg(['backup', '--to', url], { cwd: dir, env, timeoutMs: 120_000 });
    assert.equal(backup.code, 0, describeResult(backup));
    const written = /^Backup (marg-\d{8}T\d{6}Z) written to (\S+) in /m.exec(backup.stdout);
    assert.ok(written, describeResult(backup));
    names.push(written[1]!);
    assert.equal(written[2], `${url}/${names[0]}`);
    assert.deepEqual(
      (await keys(`marg/nightly/${names[0]}/`)).map((k) => k.slice(`marg/nightly/${names[0]}/`.length)),
      ['.complete', 'database-accounts.sqlite.gz', 'database-flow.sqlite.gz', 'database-links.sqlite.gz', 'database-platform.sqlite.gz', 'database-rbac.sqlite.gz', 'manifest.json', 'manifest.sha256', 'storage.tar.gz'].sort(),
    );

    const list = await runMarg(['backup:list', '--to', url], { cwd: dir, env });
    assert.equal(list.code, 0, describeResult(list));
    assert.match(list.stdout, new RegExp(`^${names[0]}\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\s+[\\d.]+ (KB|MB)\\s+6\\s+\\d+ min$`, 'm'));
  });

  it('a second backup with --keep-daily 1 (BACKUP_PATH=s3://…) removes the first, every object of it', async () => {
    const backup = await runMarg(['backup', '--keep-daily', '1'], { cwd: dir, env: { ...env, BACKUP_PATH: url }, timeoutMs: 120_000 });
    assert.equal(backup.code, 0, describeResult(backup));
    names.push(/^Backup (marg-\S+) written/m.exec(backup.stdout)![1]!);
    assert.match(backup.stdout, new RegExp(`^removed ${names[0]} \\(retention\\)$`, 'm'));
    assert.deepEqual(await keys(`marg/nightly/${names[0]}/`), []);
    const list = await runMarg(['backup:list'], { cwd: dir, env: { ...env, BACKUP_PATH: url } });
    assert.equal(list.code, 0, describeResult(list));
    assert.deepEqual(list.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]), [names[1]]);
  });

  it('restores from S3 after a wipe: every row and every file byte for byte (a name in BACKUP_PATH=s3://…; s3-corrupt.test.ts restores by URL)', async () => {
    rmSync(join(dir, 'storage', 'database'), { recursive: true, force: true });
    rmSync(join(dir, 'storage', 'app'), { recursive: true, force: true });
    const restore = await runMarg(['restore', names[1]!], { cwd: dir, env: { ...env, BACKUP_PATH: url }, timeoutMs: 120_000 });
    assert.equal(restore.code, 0, describeResult(restore));
    assert.deepEqual(await snapshotData(dir), seeded);
  });

});
