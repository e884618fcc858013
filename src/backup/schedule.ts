import type { ScheduledTask } from '../scheduler/contract.ts';
import { parseKey } from './crypto.ts';
import { backupDestination } from './locations.ts';

const HOUR_MS = 3_600_000;

/**
 * The nightly backup at 03:00 UTC (the guides' time) to BACKUP_PATH, then the BACKUP_KEEP_*
 * retention. onOneServer (the default): one scheduler of the cluster takes each night's tick.
 */
export const backupTask: ScheduledTask = {
  name: 'backup:run',
  description: 'back up every database, the object storage and the Redis queue to BACKUP_PATH (a folder or s3://bucket/prefix), then keep BACKUP_KEEP_DAILY/WEEKLY/MONTHLY',
  cron: '0 3 * * *',
  maxRuntimeMs: 4 * HOUR_MS,
  async run(services) {
    const { backup } = services.config;
    const logger = services.logger;
    const destination = backupDestination(services.config, undefined);
    let result;
    try {
      // Imported when the task runs: every node registers the schedule, few run a backup (boot time, issue 19).
      const { runBackup } = await import('./run.ts');
      result = await runBackup(services, {
        destination,
        key: backup.encryptKey === undefined ? undefined : parseKey(Buffer.from(backup.encryptKey), 'BACKUP_ENCRYPT_KEY'),
        retention: backup.keep,
        progress: { start() {}, advance() {}, done: (summary) => logger.info({ part: summary }, 'backup part written') },
      });
    } finally {
      await destination.close();
    }
    logger.info({ backup: result.name, path: backup.path, removed: result.removed }, 'backup written');
  },
};
