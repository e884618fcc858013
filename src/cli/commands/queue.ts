import type { Command } from 'commander';
import type { QueueCounts } from '../../queue/contract.ts';
import { positiveInteger, queueList } from '../options.ts';
import { UsageError, run, type CliContext } from '../context.ts';

/** `queue:stats`, `queue:failed`, `queue:retry`, `queue:forget`, `queue:flush`: what an operator steers the queue with. */
export function registerQueueCommands(program: Command, cli: CliContext): void {
  program
    .command('queue:stats')
    .description('per queue: jobs waiting, running, delayed, failed, and completed in the last minute')
    .option('--queue <names>', 'also list these queues when empty', queueList, [])
    .option('--json', 'print JSON')
    .action((flags: { queue: string[]; json?: boolean }) =>
      run(() =>
        cli.withServices(async (services) => {
          const stats = await services.queue.stats(flags.queue);
          if (flags.json) return print(JSON.stringify(stats, null, 2));
          if (stats.length === 0) return print(`no queues yet (driver: ${services.queue.driverName})`);
          print(table(['queue', 'waiting', 'running', 'delayed', 'failed', 'jobs/min'], stats.map(row)));
        }),
      ),
    );

  program
    .command('queue:failed')
    .description('list failed jobs, newest first, with the first line of their error')
    .option('--limit <n>', 'at most this many', positiveInteger, 50)
    .option('--json', 'print JSON (with the whole error)')
    .action((flags: { limit: number; json?: boolean }) =>
      run(() =>
        cli.withServices(async (services) => {
          const failed = await services.failedJobs.failed(flags.limit);
          if (flags.json) return print(JSON.stringify(failed, null, 2));
          if (failed.length === 0) return print('no failed jobs');
          print(table(['id', 'queue', 'job', 'attempts', 'failed at', 'error'], failed.map((f) => [f.id, f.queue, f.name, String(f.attempts), f.failedAt, f.error.split('\n', 1)[0]!.slice(0, 100)])));
        }),
      ),
    );

  program
    .command('queue:retry')
    .description('put a failed job (or all of them) back on its queue with its tries reset')
    .argument('<id>', 'a failed job id from queue:failed, or "all"')
    .action((id: string) =>
      run(() =>
        cli.withServices(async (services) => {
          if (id === 'all') return print(`${await services.failedJobs.retryAll()} failed job(s) queued again`);
          if (!(await services.failedJobs.retry(id))) throw new UsageError(`no failed job with id ${JSON.stringify(id)} (see marg queue:failed)`);
          print(`failed job ${id} queued again`);
        }),
      ),
    );

  program
    .command('queue:forget')
    .description('delete one failed job')
    .argument('<id>', 'a failed job id from queue:failed')
    .action((id: string) =>
      run(() =>
        cli.withServices(async (services) => {
          if (!(await services.failedJobs.forget(id))) throw new UsageError(`no failed job with id ${JSON.stringify(id)} (see marg queue:failed)`);
          print(`failed job ${id} deleted`);
        }),
      ),
    );

  program
    .command('queue:flush')
    .description('delete every failed job (of one queue)')
    .option('--queue <name>', 'only this queue')
    .action((flags: { queue?: string }) =>
      run(() =>
        cli.withServices(async (services) => {
          print(`${await services.failedJobs.flushFailed(flags.queue)} failed job(s) deleted`);
        }),
      ),
    );
}

function row(s: QueueCounts): string[] {
  return [s.queue, String(s.waiting), String(s.running), String(s.delayed), String(s.failed), String(s.perMinute)];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
