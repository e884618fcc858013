import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { backupName } from '../../src/backup/destination.ts';
import { LocalDestination } from '../../src/backup/local-destination.ts';
import { backupsToKeep, isoWeek } from '../../src/backup/retention.ts';
import { prune } from '../../src/backup/run.ts';

const DAY = 86_400_000;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A stand-in backup: an empty committed folder under the name a backup taken at `at` gets. */
async function fakeBackup(destination: LocalDestination, at: Date): Promise<void> {
  const writer = await destination.begin(backupName(at));
  await writer.commit();
}

describe('retention (--keep-daily/weekly/monthly)', () => {
  it('ISO weeks start on Monday and belong to the year of their Thursday', () => {
    assert.equal(isoWeek(new Date('2026-01-01T03:00:00Z')), '2026-W01'); // a Thursday
    assert.equal(isoWeek(new Date('2025-12-29T03:00:00Z')), '2026-W01'); // its Monday
    assert.equal(isoWeek(new Date('2025-12-28T03:00:00Z')), '2025-W52'); // the Sunday before
    assert.equal(isoWeek(new Date('2026-04-05T03:00:00Z')), '2026-W14'); // a Sunday
    assert.equal(isoWeek(new Date('2026-04-06T03:00:00Z')), '2026-W15'); // the Monday after
  });

  it('over 100 days of backups at 03:00 with a faked clock, keeps exactly the newest of the last 7 days, 4 ISO weeks and 3 months', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'marg-retention-'));
    dirs.push(dir);
    const destination = new LocalDestination(dir);
    const policy = { daily: 7, weekly: 4, monthly: 3 };
    const first = Date.parse('2026-01-01T03:00:00Z');
    for (let day = 0; day < 100; day++) {
      // What the 03:00 schedule does each night: one backup, then retention.
      await fakeBackup(destination, new Date(first + day * DAY));
      await prune(destination, policy);
      const kept = await destination.list();
      // Never more than the policy allows, and the backup just taken is always kept.
      assert.ok(kept.length <= 7 + 4 + 3, `day ${day}: ${kept.length} backups kept`);
      // The first week, nothing is old enough to go.
      if (day < 7) assert.equal(kept.length, day + 1);
      assert.equal(kept.at(-1), backupName(new Date(first + day * DAY)));
    }
    // The last backup is 2026-04-10 (a Friday). Worked out by hand from the calendar:
    const expected = [
      // monthly (3): the newest of February, of March (03-31 below) and of April (04-10, kept by daily too)
      '2026-02-28',
      // weekly (4): the Sundays ending W12 and W13; W14's (04-05) and W15's (04-10) are kept by daily
      '2026-03-22',
      '2026-03-29',
      '2026-03-31', // monthly: the newest of March
      // daily (7): the last 7 days
      '2026-04-04',
      '2026-04-05',
      '2026-04-06',
      '2026-04-07',
      '2026-04-08',
      '2026-04-09',
      '2026-04-10',
    ].map((d) => backupName(new Date(`${d}T03:00:00Z`)));
    assert.deepEqual(await destination.list(), expected);
  });

  it('keeps the newest backup of a period when several were taken that day, and nothing when no rule is given', () => {
    const at = (iso: string) => ({ name: iso, at: new Date(iso) });
    const backups = [at('2026-05-01T03:00:00Z'), at('2026-05-01T15:00:00Z'), at('2026-05-02T03:00:00Z')];
    assert.deepEqual([...backupsToKeep(backups, { daily: 2, weekly: 0, monthly: 0 })].sort(), ['2026-05-01T15:00:00Z', '2026-05-02T03:00:00Z']);
    assert.deepEqual([...backupsToKeep(backups, { daily: 0, weekly: 0, monthly: 0 })], []);
  });
});
