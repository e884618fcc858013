import type { Command } from 'commander';
import { DEFAULT_WORKER_OPTIONS } from '../../platform/worker-defaults.ts';
import { positiveInteger, queueList, seconds } from '../options.ts';
import { UsageError, run, type CliContext } from '../context.ts';

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
export function registerWork(program: Command, cli: CliContext): void {
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
        const config = cli.loadConfig();
        const logger = cli.logger(config);
        const [{ runRoles }, { workerRole }] = await Promise.all([import('../../platform/boot.ts'), import('../../platform/worker-role.ts')]);
        const worker = workerRole({
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
        await runRoles({
          apps: cli.apps,
          config,
          logger,
          roles: [worker],
          metricsRole: 'worker',
          migrations: 'require',
          onSignal: (signal) => logger.info({ signal }, 'worker stopping: letting running jobs finish'),
        });
      }),
    );
}
