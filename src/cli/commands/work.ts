import type { Command } from 'commander';
import { APPS } from '../../../apps/index.ts';
import { loadConfig } from '../../config/config.ts';
import { assertReachable } from '../../platform/connectivity.ts';
import { pendingMigrations } from '../../platform/migrate.ts';
import { startMetricsServer, type MetricsServer } from '../../observability/metrics-server.ts';
import { createServices } from '../../platform/services.ts';
import { DEFAULT_WORKER_OPTIONS, startWorker } from '../../platform/worker-role.ts';
import { positiveInteger, queueList, seconds } from '../options.ts';
import { UsageError, cliLogger, run } from '../context.ts';
import { onShutdownSignal } from '../signals.ts';

interface WorkFlags {
  queue: string[];
  concurrency: number;
  tries: number;
  timeout: number;
  maxTime?: number;
  maxJobs?: number;
  sleep: number;
  grace: number;
  stopWhenEmpty?: boolean;
}

const d = DEFAULT_WORKER_OPTIONS;

/** The worker role (Laravel's `queue:work`): run N of these under a supervisor. */
export function registerWork(program: Command): void {
  program
    .command('work')
    .description('run queued jobs until stopped (SIGTERM lets running jobs finish first)')
    .option('--queue <names>', 'queues to take jobs from, highest priority first', queueList, [...d.queues])
    .option('--concurrency <n>', 'jobs run at once', positiveInteger, d.concurrency)
    .option('--tries <n>', 'deliveries allowed for jobs that set no tries of their own', positiveInteger, d.tries)
    .option('--timeout <s>', 'seconds a job may run (jobs may set their own)', seconds, d.timeoutMs / 1000)
    .option('--max-time <s>', 'stop after this many seconds (a supervisor starts a fresh worker)', seconds)
    .option('--max-jobs <n>', 'stop after this many jobs', positiveInteger)
    .option('--sleep <s>', 'seconds to wait before polling again when the queues are empty', seconds, d.idleMs / 1000)
    .option('--grace <s>', 'on SIGTERM, seconds running jobs get to finish before they are handed back', seconds, d.graceMs / 1000)
    .option('--stop-when-empty', 'stop once the queues are empty')
    .action((flags: WorkFlags) =>
      run(async () => {
        if (flags.timeout <= 0) throw new UsageError('--timeout must be more than 0 seconds');
        const config = loadConfig();
        const logger = cliLogger(config);
        const services = createServices(config, logger);
        let metrics: MetricsServer | undefined;
        try {
          await assertReachable(services);
          const pending = await pendingMigrations(services, APPS);
          if (pending.length > 0) throw new UsageError(`the databases are not migrated (${pending.length} pending, e.g. ${pending[0]}): run \`marg migrate\` first`);
          metrics = await startMetricsServer(services, 'worker');
        } catch (error) {
          await services.close();
          throw error;
        }
        const running = startWorker(services, APPS, {
          queues: flags.queue,
          concurrency: flags.concurrency,
          tries: flags.tries,
          timeoutMs: flags.timeout * 1000,
          idleMs: flags.sleep * 1000,
          graceMs: flags.grace * 1000,
          stopWhenEmpty: flags.stopWhenEmpty ?? false,
          ...(flags.maxTime !== undefined ? { maxTimeMs: flags.maxTime * 1000 } : {}),
          ...(flags.maxJobs !== undefined ? { maxJobs: flags.maxJobs } : {}),
        });
        logger.info({ queues: flags.queue, concurrency: flags.concurrency, driver: services.queue.driverName }, 'worker ready');
        const finished = running.done.then(async (reason) => {
          logger.info({ reason, processed: running.worker.processed }, 'worker stopped');
          await metrics?.close();
          await services.close();
          logger.flush();
          return reason;
        });
        onShutdownSignal(async (signal) => {
          logger.info({ signal }, 'worker stopping: letting running jobs finish');
          await running.stop();
          await finished;
        });
        // A job that ignored its timeout may still be running: exit so a supervisor starts a clean process.
        process.exit((await finished) === 'stuck' ? 1 : 0);
      }),
    );
}
