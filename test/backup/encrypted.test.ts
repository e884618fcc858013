import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAppKey } from '../../src/config/app-key.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';
import { readKeyFile } from '../../src/backup/crypto.ts';
import { LocalReader } from '../../src/backup/local-destination.ts';
import { openBackup } from '../../src/backup/restore.ts';
import { seedEverything, snapshotData, type DataSnapshot } from './support.ts';

describe('encrypted backups (AES-256-GCM, real CLI)', () => {
  let dir: string;
  let seeded: DataSnapshot;
  before(async () => {
    dir = tempDir('marg-backup-enc-');
    writeAppKey(dir);
    await seedEverything(dir);
    seeded = await snapshotData(dir);
  });
  after(() => cleanupCli());

  it('encrypts every part with --encrypt-key-file; restore needs that key, refuses another and a forged manifest', async () => {
    writeFileSync(join(dir, 'backup.key'), randomBytes(32).toString('base64'));
    writeFileSync(join(dir, 'other.key'), randomBytes(32).toString('hex'));
    const backup = await runMarg(['backup', '--to', 'encrypted', '--encrypt-key-file', 'backup.key'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(backup.code, 0, describeResult(backup));
    const folder = join(dir, 'encrypted', readdirSync(join(dir, 'encrypted'))[0]!);
    const parts = readdirSync(folder).filter((f) => f.endsWith('.enc'));
    assert.equal(parts.length, 6);
    // No part is a gzip stream any more: the plaintext's header is hidden.
    for (const part of parts) assert.equal(readFileSync(join(folder, part)).subarray(0, 8).toString(), 'MARGENC1');

    // The key checks, in-process (each CLI run costs seconds; the CLI glue is the same as for the other refusals).
    const reader = new LocalReader(folder);
    await assert.rejects(openBackup(reader, undefined), /this backup is encrypted: give its key with --encrypt-key-file/);
    await assert.rejects(openBackup(reader, readKeyFile(join(dir, 'other.key'))), /not the one this backup was encrypted with/);

    // A forger without the key cannot re-seal the manifest: its seal is an HMAC under the key.
    const forged = join(dir, 'forged');
    cpSync(folder, forged, { recursive: true });
    const manifest = readFileSync(join(forged, 'manifest.json'), 'utf8').replace(/"version": "[^"]*"/, '"version": "9.9.9"');
    writeFileSync(join(forged, 'manifest.json'), manifest);
    writeFileSync(join(forged, 'manifest.sha256'), `hmac-sha256:${createHash('sha256').update(manifest).digest('hex')}\n`);
    await assert.rejects(openBackup(new LocalReader(forged), readKeyFile(join(dir, 'backup.key'))), /backup part "manifest\.json" does not match its seal/);

    // Wiped, then restored with the key.
    rmSync(join(dir, 'storage', 'database'), { recursive: true, force: true });
    rmSync(join(dir, 'storage', 'app'), { recursive: true, force: true });
    const restore = await runMarg(['restore', folder, '--encrypt-key-file', 'backup.key'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(restore.code, 0, describeResult(restore));
    assert.deepEqual(await snapshotData(dir), seeded);
  });
});
