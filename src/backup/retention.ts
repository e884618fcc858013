/**
 * Grandfather-father-son retention, as restic's and borg's `--keep-daily/weekly/monthly`:
 * for each of the N most recent days (ISO weeks, months, in UTC) that have a backup, keep
 * the newest backup of that period. A backup kept by any rule stays.
 */
export interface RetentionPolicy {
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

export interface DatedBackup {
  readonly name: string;
  readonly at: Date;
}

export function hasRetention(policy: RetentionPolicy): boolean {
  return policy.daily > 0 || policy.weekly > 0 || policy.monthly > 0;
}

/** The names to keep; every other backup may be deleted. */
export function backupsToKeep(backups: readonly DatedBackup[], policy: RetentionPolicy): Set<string> {
  const newestFirst = [...backups].sort((a, b) => b.at.getTime() - a.at.getTime());
  const keep = new Set<string>();
  const rules: [number, (at: Date) => string][] = [
    [policy.daily, (at) => at.toISOString().slice(0, 10)],
    [policy.weekly, isoWeek],
    [policy.monthly, (at) => at.toISOString().slice(0, 7)],
  ];
  for (const [count, period] of rules) {
    let last: string | undefined;
    let kept = 0;
    for (const backup of newestFirst) {
      if (kept >= count) break;
      const p = period(backup.at);
      if (p === last) continue;
      last = p;
      keep.add(backup.name);
      kept++;
    }
  }
  return keep;
}

/** `2026-W49`: the ISO 8601 week (Monday first; week 1 holds the year's first Thursday). */
export function isoWeek(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
