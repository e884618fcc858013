import type { Readable } from 'node:stream';
import { keyCheck } from './crypto.ts';
import type { DatabaseDumper } from './database-dump.ts';
import { backupName, type BackupDestination } from './destination.ts';
import { MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_SEAL_FILE, sealManifest, serializeManifest, type DatabaseInfo, type Manifest, type PartInfo } from './manifest.ts';
import type { BackupObjects } from './objects.ts';
import { writePart } from './parts.ts';
import { describeTransfer, type Progress } from './progress.ts';
import type { RedisQueuePart } from './redis-part.ts';
import { packObjects } from './storage-part.ts';

/** What a backup copies (and a restore writes back): built from config by sources.ts. */
export interface BackupSources {
  readonly databases: readonly { readonly name: string; readonly dumper: DatabaseDumper }[];
  readonly objects: BackupObjects;
  /** Set when the queue is on Redis: its keys are durable data. */
  readonly redisQueue: RedisQueuePart | undefined;
  readonly queueDriver: string;
}

export interface BackupOptions {
  readonly destination: BackupDestination;
  readonly key?: Buffer | undefined;
  readonly progress: Progress;
  readonly version: string;
  readonly node: string;
  readonly now?: () => Date;
}

export const STORAGE_PART = 'storage.tar.gz';
export const REDIS_PART = 'redis-queue.jsonl.gz';

export function databasePart(name: string, format: string, encrypted: boolean): string {
  return `database-${name}.${format}.gz${encrypted ? '.enc' : ''}`;
}

/** Takes one backup: every database, the object storage, the Redis queue; then the manifest. It exists only once complete. */
export async function createBackup(sources: BackupSources, options: BackupOptions): Promise<{ name: string; manifest: Manifest }> {
  const startedAt = (options.now ?? (() => new Date()))();
  const name = backupName(startedAt);
  const key = options.key;
  const enc = key ? '.enc' : '';
  const writer = await options.destination.begin(name);
  const parts: PartInfo[] = [];
  const databases: DatabaseInfo[] = [];
  const started = performance.now();

  const copy = async (part: string, kind: PartInfo['kind'], stream: Readable, total: number | undefined, label: string) => {
    const t0 = performance.now();
    options.progress.start(label, total);
    const info = await writePart(stream, writer.create(part), key, options.progress);
    parts.push({ name: part, kind, ...info });
    options.progress.done(`${label}: ${describeTransfer(info.rawSize, performance.now() - t0)}, stored ${info.size} bytes as ${part}`);
  };

  try {
    for (const { name: database, dumper } of sources.databases) {
      const part = databasePart(database, dumper.format, Boolean(key));
      const snapshot = await dumper.snapshot();
      try {
        await copy(part, 'database', snapshot.stream, snapshot.size, `database ${database}`);
        databases.push({ name: database, driver: dumper.driver, part, migrations: await snapshot.migrations() });
      } finally {
        await snapshot.cleanup();
      }
    }
    let objects = 0;
    await copy(`${STORAGE_PART}${enc}`, 'storage', packObjects(sources.objects, () => objects++), undefined, `storage (${sources.objects.driver})`);
    if (sources.redisQueue) await copy(`${REDIS_PART}${enc}`, 'redis', await sources.redisQueue.dump(), undefined, 'redis queue');

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      name,
      createdAt: startedAt.toISOString(),
      marg: { version: options.version, node: options.node },
      drivers: { storage: sources.objects.driver, queue: sources.queueDriver },
      encryption: key ? { algorithm: 'aes-256-gcm', keyCheck: keyCheck(key) } : null,
      databases,
      parts,
      durationMs: Math.round(performance.now() - started),
    };
    const bytes = serializeManifest(manifest);
    await writeAll(writer.create(MANIFEST_FILE), bytes);
    await writeAll(writer.create(MANIFEST_SEAL_FILE), Buffer.from(sealManifest(bytes, key)));
    await writer.commit();
    return { name, manifest };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

function writeAll(stream: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(bytes, () => resolve());
  });
}
