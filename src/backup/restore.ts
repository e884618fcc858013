import { keyCheck } from './crypto.ts';
import type { BackupSources } from './backup.ts';
import type { BackupReader } from './destination.ts';
import { CorruptBackupError, KeyRequiredError, MANIFEST_FILE, MANIFEST_SEAL_FILE, parseManifest, type Manifest, type PartInfo } from './manifest.ts';
import { readPart, verifyPart } from './parts.ts';
import { describeTransfer, type Progress } from './progress.ts';
import { unpackObjects } from './storage-part.ts';

/** Reads and checks the manifest (its seal, its shape, the key); throws naming what is wrong. */
export async function openBackup(reader: BackupReader, key: Buffer | undefined): Promise<Manifest> {
  const bytes = await reader.readSmall(MANIFEST_FILE);
  if (bytes === undefined) throw new CorruptBackupError(MANIFEST_FILE, `is missing: ${reader.location} is not a Marg backup`);
  const seal = (await reader.readSmall(MANIFEST_SEAL_FILE))?.toString('utf8');
  const manifest = parseManifest(bytes, seal, key);
  if (manifest.encryption && key && keyCheck(key) !== manifest.encryption.keyCheck) throw new KeyRequiredError('the key given is not the one this backup was encrypted with');
  if (!manifest.encryption && key) throw new KeyRequiredError('this backup is not encrypted: leave out --encrypt-key-file');
  for (const database of manifest.databases) {
    if (!manifest.parts.some((p) => p.name === database.part)) throw new CorruptBackupError(MANIFEST_FILE, `names part "${database.part}" for database ${database.name} but does not list it`);
  }
  return manifest;
}

/** Every part present, of the right size, with the right SHA-256. Reads every byte; touches nothing. */
export async function verifyBackup(reader: BackupReader, manifest: Manifest, progress: Progress): Promise<void> {
  for (const part of manifest.parts) {
    const t0 = performance.now();
    progress.start(`verify ${part.name}`, part.size);
    await verifyPart(reader, part, progress);
    progress.done(`verified ${part.name}: ${describeTransfer(part.size, performance.now() - t0)}, SHA-256 ${part.sha256.slice(0, 16)}…`);
  }
}

/** What would be overwritten: databases with tables, a storage with objects, queue keys in Redis. */
export async function nonEmptyTargets(manifest: Manifest, targets: BackupSources): Promise<string[]> {
  const found: string[] = [];
  for (const { name, dumper } of targets.databases) {
    if (manifest.databases.some((d) => d.name === name) && !(await dumper.isEmpty())) found.push(`database ${name}`);
  }
  for await (const _ of targets.objects.keys()) {
    void _;
    found.push(`object storage (${targets.objects.driver})`);
    break;
  }
  if (targets.redisQueue && manifest.parts.some((p) => p.kind === 'redis') && !(await targets.redisQueue.isEmpty())) found.push('the Redis queue');
  return found;
}

/** Why this backup cannot go onto this configuration (a database missing or on another driver), or undefined. */
export function mismatch(manifest: Manifest, targets: BackupSources): string | undefined {
  for (const database of manifest.databases) {
    const target = targets.databases.find((t) => t.name === database.name);
    if (!target) return `the backup holds database ${database.name}, which this configuration does not have`;
    if (target.dumper.driver !== database.driver) return `database ${database.name} was backed up from ${database.driver} but is configured on ${target.dumper.driver}: restore onto the same driver`;
  }
  if (manifest.parts.some((p) => p.kind === 'redis') && !targets.redisQueue) return 'the backup holds the Redis queue, but QUEUE_CONNECTION is not redis here';
  return undefined;
}

/** Writes every part back. Call only after openBackup and verifyBackup passed. */
export async function restoreBackup(reader: BackupReader, manifest: Manifest, targets: BackupSources, key: Buffer | undefined, progress: Progress): Promise<void> {
  const part = (name: string): PartInfo => manifest.parts.find((p) => p.name === name)!;
  const step = async (label: string, info: PartInfo, work: (stream: ReturnType<typeof readPart>) => Promise<unknown>) => {
    const t0 = performance.now();
    progress.start(label, info.rawSize);
    await work(readPart(reader, info, key, progress));
    progress.done(`${label}: ${describeTransfer(info.rawSize, performance.now() - t0)}`);
  };
  for (const database of manifest.databases) {
    const target = targets.databases.find((t) => t.name === database.name)!;
    await step(`restore database ${database.name}`, part(database.part), (stream) => target.dumper.restore(stream));
  }
  for (const info of manifest.parts) {
    if (info.kind === 'storage') await step(`restore storage (${targets.objects.driver})`, info, (stream) => unpackObjects(stream, targets.objects));
    if (info.kind === 'redis' && targets.redisQueue) await step('restore redis queue', info, (stream) => targets.redisQueue!.restore(stream));
  }
}
