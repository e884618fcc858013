import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAppKey } from '../../src/config/app-key.ts';
import { cleanupCli, describeResult, runMarg, tempDir, withCliServices } from '../support/cli.ts';
import { seedEverything, snapshotData, type DataSnapshot } from './support.ts';

/**
 * A damaged backup is refused before anything is written: each case restores with --force
 * over a target that differs from the backup, and the target must come out unchanged.
 */
export function describeCorruption(title: string, only: (name: string) => boolean, withDryRun: boolean): void {
describe(`restore refuses a corrupted backup, naming the part, and touches nothing: ${title}`, () => {
  let dir: string;
  let good: string;
  let target: DataSnapshot;
  before(async () => {
    dir = tempDir('marg-corrupt-');
    writeAppKey(dir);
    await seedEverything(dir);
    const backup = await runMarg(['backup', '--to', 'backups'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(backup.code, 0, describeResult(backup));
    good = join(dir, 'backups', readdirSync(join(dir, 'backups'))[0]!);
    // The target moves on after the backup: a restore would change it.
    await withCliServices(dir, {}, async (services) => {
      await services.users.create({ email: 'after@example.test', name: 'After', password: 'correct horse battery staple' });
      await services.storage.put('avatars/after/original', Buffer.from('after the backup'), { contentType: 'image/png' });
    });
    target = await snapshotData(dir);
  });
  after(() => cleanupCli());

  const cases: { name: string; damage: (backup: string) => void; message: RegExp }[] = [
    {
      name: 'one byte changed in a database part',
      damage: (b) => {
        const file = join(b, 'database-flow.sqlite.gz');
        const bytes = readFileSync(file);
        bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
        writeFileSync(file, bytes);
      },
      message: /backup part "database-flow\.sqlite\.gz" does not match its SHA-256 in the manifest/,
    },
    {
      name: 'a part missing',
      damage: (b) => rmSync(join(b, 'storage.tar.gz')),
      message: /backup part "storage\.tar\.gz" is missing/,
    },
    {
      name: 'a truncated part',
      damage: (b) => {
        const file = join(b, 'database-links.sqlite.gz');
        truncateSync(file, Math.floor(readFileSync(file).length / 2));
      },
      message: /backup part "database-links\.sqlite\.gz" is \d+ bytes, the manifest says \d+ \(truncated or damaged\)/,
    },
    {
      name: 'a tampered manifest (a checksum rewritten to match a changed part)',
      damage: (b) => {
        const file = join(b, 'manifest.json');
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as { parts: { name: string; sha256: string }[] };
        manifest.parts[0]!.sha256 = '0'.repeat(64);
        writeFileSync(file, JSON.stringify(manifest, null, 2));
      },
      message: /backup part "manifest\.json" does not match its checksum in manifest\.sha256/,
    },
    {
      name: 'a truncated manifest',
      damage: (b) => truncateSync(join(b, 'manifest.json'), 100),
      message: /backup part "manifest\.json" does not match its checksum/,
    },
  ];

  const selected = cases.filter((x) => only(x.name));
  for (const c of selected) {
    it(`${c.name}: refused, the target unchanged`, async () => {
      const copy = join(dir, `damaged-${cases.indexOf(c)}`);
      cpSync(good, copy, { recursive: true });
      c.damage(copy);
      // --force: the only thing between the damage and the target is the verification.
      const result = await runMarg(['restore', copy, '--force'], { cwd: dir, timeoutMs: 60_000 });
      assert.equal(result.code, 2, describeResult(result));
      assert.match(result.stderr, c.message);
      assert.match(result.stderr, /The backup is refused; nothing was changed\./);
      assert.deepEqual(await snapshotData(dir), target);
    });
  }

  if (withDryRun) it('--dry-run refuses a damaged backup too; the undamaged one verifies (the cases above failed for their damage alone)', async () => {
    const damaged = await runMarg(['restore', join(dir, `damaged-${cases.indexOf(selected[0]!)}`), '--dry-run'], { cwd: dir });
    assert.equal(damaged.code, 2, describeResult(damaged));
    assert.match(damaged.stderr, selected[0]!.message);
    const result = await runMarg(['restore', good, '--dry-run'], { cwd: dir });
    assert.equal(result.code, 0, describeResult(result));
  });
});
}
