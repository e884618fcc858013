import { hostname } from 'node:os';
import type { Services } from '../platform/services.ts';
import { createBackup } from './backup.ts';
import { backupTime, type BackupDestination } from './destination.ts';
import { MANIFEST_FILE } from './manifest.ts';
import type { Progress } from './progress.ts';
import { backupsToKeep, hasRetention, type RetentionPolicy } from './retention.ts';
import { backupSources } from './sources.ts';

import { MARG_VERSION } from '../support/version.ts';

export { MARG_VERSION };

export interface BackupRun {
  readonly destination: BackupDestination;
  readonly key: Buffer | undefined;
  readonly retention: RetentionPolicy;
  readonly progress: Progress;
  readonly now?: () => Date;
}

/** One backup, then the retention policy applied to the destination (what `marg backup` and the schedule run). */
export async function runBackup(services: Services, run: BackupRun): Promise<{ name: string; removed: string[] }> {
  const sources = backupSources(services);
  let name: string;
  try {
    ({ name } = await createBackup(sources, {
      destination: run.destination,
      key: run.key,
      progress: run.progress,
      version: MARG_VERSION,
      node: services.config.nodeName ?? `${hostname()}:${process.pid}`,
      ...(run.now ? { now: run.now } : {}),
    }));
  } finally {
    await sources.close();
  }
  const removed = hasRetention(run.retention) ? await prune(run.destination, run.retention) : [];
  return { name, removed };
}

/** Deletes the backups the policy does not keep; returns their names. */
export async function prune(destination: BackupDestination, policy: RetentionPolicy): Promise<string[]> {
  const dated = (await destination.list()).map((name) => ({ name, at: backupTime(name)! }));
  const keep = backupsToKeep(dated, policy);
  const removed = dated.filter((b) => !keep.has(b.name)).map((b) => b.name);
  for (const name of removed) await destination.remove(name);
  return removed;
}

export interface ListedBackup {
  readonly name: string;
  readonly createdAt: Date;
  readonly size: number;
  readonly parts: number;
  readonly encrypted: boolean;
  /** Set when the manifest cannot be read: the backup is listed, not trusted. */
  readonly problem: string | undefined;
}

/** Every complete backup with what its manifest says (not verified: `marg restore --dry-run` does that). */
export async function listBackups(destination: BackupDestination): Promise<ListedBackup[]> {
  const out: ListedBackup[] = [];
  for (const name of await destination.list()) {
    const createdAt = backupTime(name)!;
    try {
      const bytes = await destination.open(name).readSmall(MANIFEST_FILE);
      if (!bytes) throw new Error('no manifest.json');
      const manifest = JSON.parse(bytes.toString('utf8')) as { parts?: { size?: number }[]; encryption?: unknown };
      const parts = manifest.parts ?? [];
      out.push({ name, createdAt, size: parts.reduce((n, p) => n + (p.size ?? 0), 0), parts: parts.length, encrypted: Boolean(manifest.encryption), problem: undefined });
    } catch (error) {
      out.push({ name, createdAt, size: 0, parts: 0, encrypted: false, problem: (error as Error).message });
    }
  }
  return out;
}
