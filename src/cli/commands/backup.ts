import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { BadKeyError, parseKey, readKeyFile } from '../../backup/crypto.ts';
import type { BackupDestination, BackupReader } from '../../backup/destination.ts';
import { formatBytes, progressFor } from '../../backup/progress.ts';
import type { Config } from '../../config/config.ts';
import type { Services } from '../../platform/services.ts';
import { run, UsageError, type CliContext } from '../context.ts';

interface BackupOptions {
  to?: string;
  encryptKeyFile?: string;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
}

interface RestoreOptions {
  dryRun?: boolean;
  force?: boolean;
  encryptKeyFile?: string;
}

/** `marg backup`, `marg backup:list`, `marg restore` (src/backup). */
export function registerBackupCommands(program: Command, cli: CliContext): void {
  program
    .command('backup')
    .description('back up every database, the object storage and the Redis queue (when QUEUE_CONNECTION=redis) into one folder with a checksummed manifest')
    .option('--to <dir|s3-url>', 'the folder the backup goes into, or s3://bucket/prefix (with the AWS_* variables); default BACKUP_PATH, <STORAGE_PATH>/backups')
    .option('--encrypt-key-file <path>', 'encrypt every part with AES-256-GCM under the key in this file (default: BACKUP_ENCRYPT_KEY)')
    .option('--keep-daily <n>', 'afterwards delete backups but the newest of each of the last N days (and what the other --keep-* keep)', count)
    .option('--keep-weekly <n>', '… of each of the last N ISO weeks', count)
    .option('--keep-monthly <n>', '… of each of the last N months', count)
    .action((options: BackupOptions) =>
      run(() =>
        cli.withServices(async (services) => {
          const { runBackup } = await import('../../backup/run.ts');
          const key = backupKey(services.config, options.encryptKeyFile);
          await withDestination(services.config, options.to, async (destination) => {
            const started = performance.now();
            const result = await guard(() =>
              runBackup(services, {
                destination,
                key,
                retention: { daily: options.keepDaily ?? 0, weekly: options.keepWeekly ?? 0, monthly: options.keepMonthly ?? 0 },
                progress: progressFor(process.stderr),
              }),
            );
            process.stdout.write(`Backup ${result.name} written to ${where(destination, result.name)} in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
            for (const name of result.removed) process.stdout.write(`removed ${name} (retention)\n`);
          });
        }),
      ),
    );

  program
    .command('backup:list')
    .description('list the backups in a folder or an S3 location: date, size, parts, age')
    .option('--to <dir|s3-url>', 'the folder or s3://bucket/prefix (default BACKUP_PATH, <STORAGE_PATH>/backups)')
    .action((options: { to?: string }) =>
      run(() => withDestination(cli.loadConfig(), options.to, async (destination) => {
        const { listBackups } = await import('../../backup/run.ts');
        const backups = await listBackups(destination);
        if (backups.length === 0) {
          process.stdout.write(`No backups in ${destination.location}.\n`);
          return;
        }
        const now = Date.now();
        process.stdout.write(`${'NAME'.padEnd(24)}${'DATE (UTC)'.padEnd(22)}${'SIZE'.padStart(10)}${'PARTS'.padStart(7)}  AGE\n`);
        for (const b of backups) {
          const date = b.createdAt.toISOString().slice(0, 19).replace('T', ' ');
          const details = b.problem ? `  unreadable manifest: ${b.problem}` : `${b.encrypted ? '  encrypted' : ''}`;
          process.stdout.write(`${b.name.padEnd(24)}${date.padEnd(22)}${formatBytes(b.size).padStart(10)}${String(b.parts).padStart(7)}  ${age(now - b.createdAt.getTime())}${details}\n`);
        }
      })),
    );

  program
    .command('restore')
    .argument('<backup>', 'a backup folder, s3://bucket/prefix/marg-…, or the name of one in BACKUP_PATH (see `marg backup:list`)')
    .description('verify every checksum of a backup, then restore its databases, object storage and Redis queue, under maintenance mode; leaves each database on the backup\'s schema version (run `marg migrate` after)')
    .option('--dry-run', 'verify the backup and stop: nothing is changed')
    .option('--force', 'restore over databases and storage that hold data (they are replaced)')
    .option('--encrypt-key-file <path>', 'the key an encrypted backup was made with (default: BACKUP_ENCRYPT_KEY)')
    .action((backup: string, options: RestoreOptions) => run(() => cli.withServices((services) => restore(cli, services, backup, options))));
}

async function restore(cli: CliContext, services: Services, backup: string, options: RestoreOptions): Promise<void> {
  const { BackupLocationError, backupToRead } = await import('../../backup/locations.ts');
  let opened;
  try {
    opened = backupToRead(services.config, backup);
  } catch (error) {
    if (error instanceof BackupLocationError) throw new UsageError(error.message);
    throw error;
  }
  try {
    await restoreFrom(cli, services, opened.reader, options);
  } finally {
    await opened.destination?.close();
  }
}

async function restoreFrom(cli: CliContext, services: Services, reader: BackupReader, options: RestoreOptions): Promise<void> {
  const [{ mismatch, nonEmptyTargets, openBackup, restoreBackup, verifyBackup }, { backupSources }, { MaintenanceMode }, { createMissingDatabases }, { pendingMigrations }] = await Promise.all([
    import('../../backup/restore.ts'),
    import('../../backup/sources.ts'),
    import('../../maintenance/mode.ts'),
    import('../../platform/connectivity.ts'),
    import('../../platform/migrate.ts'),
  ]);
  const key = backupKey(services.config, options.encryptKeyFile);
  const progress = progressFor(process.stderr);
  // Every checksum before anything else: a damaged backup is refused with the target untouched.
  const manifest = await guard(async () => {
    const m = await openBackup(reader, key);
    await verifyBackup(reader, m, progress);
    return m;
  });
  const summary = `${manifest.name} (${manifest.createdAt}, Marg ${manifest.marg.version}): ${manifest.parts.length} parts, ${formatBytes(manifest.parts.reduce((n, p) => n + p.size, 0))}`;
  if (options.dryRun) {
    process.stdout.write(`Verified ${summary}; every part matches its SHA-256.\n`);
    for (const d of manifest.databases) process.stdout.write(`  database ${d.name} (${d.driver}): ${d.migrations.length} migrations, last ${d.migrations.at(-1) ?? '(none)'}\n`);
    process.stdout.write('Dry run: nothing was changed.\n');
    return;
  }
  const targets = backupSources(services);
  try {
    const wrong = mismatch(manifest, targets);
    if (wrong) throw new UsageError(`cannot restore ${manifest.name}: ${wrong}. Nothing was changed.`);
    // A wiped server has no databases: restore into new, empty ones.
    for (const name of await createMissingDatabases(services.config)) process.stdout.write(`created database ${name}\n`);
    const occupied = await nonEmptyTargets(manifest, targets);
    if (occupied.length > 0 && !options.force) {
      throw new UsageError(`refusing to restore over data: ${occupied.join(', ')} ${occupied.length === 1 ? 'is' : 'are'} not empty. Nothing was changed; add --force to replace them.`);
    }
    // Web nodes answer 503 while the data changes under them (only a shared cache store reaches them).
    const maintenance = services.config.cache.store === 'memory' ? undefined : new MaintenanceMode(services.cache);
    const wasDown = maintenance ? (await maintenance.read()) !== undefined : true;
    if (maintenance && !wasDown) await maintenance.down({ since: new Date().toISOString(), retryAfterSeconds: 60, message: 'Restoring from a backup.' });
    await guard(() => restoreBackup(reader, manifest, targets, key, progress));
    const pending = await pendingMigrations(services, cli.apps);
    process.stdout.write(`Restored ${summary}.\n`);
    if (pending.length > 0) {
      process.stdout.write(`The databases are on the backup's schema: ${pending.length} migrations are pending. Run \`marg migrate\`, then \`marg up\`${maintenance ? ' (the apps stay in maintenance until then)' : ''}.\n`);
    } else if (maintenance && !wasDown) {
      await maintenance.up();
      process.stdout.write('Maintenance mode ended: the apps serve the restored data.\n');
    } else if (maintenance) {
      process.stdout.write('The apps were already down for maintenance and stay so: `marg up` brings them back.\n');
    }
  } finally {
    await targets.close();
  }
}

/** Backup problems the operator can act on: one clear line, not a stack. */
async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { CorruptBackupError, KeyRequiredError } = await import('../../backup/manifest.ts');
    if (error instanceof CorruptBackupError) throw new UsageError(`${error.message}. The backup is refused; nothing was changed.`);
    if (error instanceof KeyRequiredError || error instanceof BadKeyError) throw new UsageError(error.message);
    throw error;
  }
}

/** Runs `work` on the destination for --to (or BACKUP_PATH), closing it after; a bad location is a usage error. */
async function withDestination<T>(config: Config, to: string | undefined, work: (destination: BackupDestination) => Promise<T>): Promise<T> {
  const { BackupLocationError, backupDestination } = await import('../../backup/locations.ts');
  let destination: BackupDestination;
  try {
    destination = backupDestination(config, to);
  } catch (error) {
    if (error instanceof BackupLocationError) throw new UsageError(error.message);
    throw error;
  }
  try {
    return await work(destination);
  } finally {
    await destination.close();
  }
}

/** A backup's place, as the operator would type it back to `marg restore`. */
function where(destination: BackupDestination, name: string): string {
  return destination.location.startsWith('s3://') ? `${destination.location}${name}` : join(destination.location, name);
}

function backupKey(config: Config, file: string | undefined): Buffer | undefined {
  try {
    if (file !== undefined) return readKeyFile(file.startsWith('/') ? file : join(config.cwd, file));
    return config.backup.encryptKey === undefined ? undefined : parseKey(Buffer.from(config.backup.encryptKey), 'BACKUP_ENCRYPT_KEY');
  } catch (error) {
    if (error instanceof BadKeyError) throw new UsageError(error.message);
    throw error;
  }
}

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return Number(value);
}

function age(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours < 1) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}
