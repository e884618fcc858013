import { type Command, InvalidArgumentError } from 'commander';
import { EXPERIMENT_KINDS, type ExperimentKind } from '../../chaos/contract.ts';
import { run, type CliContext } from '../context.ts';
import type { ChaosFlags } from './chaos-action.ts';

/**
 * `marg chaos`: kills parts of a staging cluster under a bounded, signed-in load and reports
 * what it cost (src/chaos/). A `marg cluster` is found by its state file; any other cluster
 * is named by `--target` and broken only by the operator's `--kill-cmd` commands.
 */
export function registerChaos(program: Command, cli: CliContext): void {
  program
    .command('chaos')
    .description('under a bounded load, kill a web node, a worker mid-job, the Redis primary (Sentinel) and a DB replica of a STAGING cluster; report failed requests, recovery times and lost jobs')
    .option('--dir <path>', 'the `marg cluster` state dir (default: STORAGE_PATH/cluster)')
    .option('--target <url>', 'a cluster `marg cluster` did not start: an app URL through its balancer (https://flow.staging.example.com); needs --kill-cmd')
    .option('--app-host <host>', 'with --target: the Host header the load sends, when the URL names the balancer by address (flow.staging.example.com)')
    .option('--experiments <list>', `comma-separated, in this order: ${EXPERIMENT_KINDS.join(',')}`, experimentList, [...EXPERIMENT_KINDS])
    .option('--kill-cmd <experiment=command>', 'a shell command that kills the target of that experiment (repeatable; gets MARG_CHAOS_EXPERIMENT, MARG_CHAOS_HOST, MARG_CHAOS_PORT)', killCommand, [])
    .option('--email <email>', 'the user the load signs in as (password in MARG_CHAOS_PASSWORD); or an API token in MARG_CHAOS_TOKEN')
    .option('--rate <n>', 'requests per second', bounded(1, 500), 50)
    .option('--connections <n>', 'keep-alive connections', bounded(1, 32), 4)
    .option('--max-requests <n>', 'the most requests the whole run sends', bounded(100, 200_000), 20_000)
    .option('--jobs-per-second <n>', 'chaos.probe jobs dispatched per second', bounded(1, 50), 4)
    .option('--job-hold <ms>', 'how long each chaos job runs', bounded(0, 10_000), 250)
    .option('--window <seconds>', 'longest watch after each kill', bounded(5, 120), 30)
    .option('--settle <seconds>', 'longest wait for every acknowledged job to run (default: QUEUE_RETRY_AFTER + 20)', bounded(1, 600))
    .option('--yes', 'do not ask: kill what it announces (required when not on a terminal)')
    .option('--json', 'print the report as JSON')
    .action((flags: ChaosFlags) =>
      // The load, the targets and the services load only when the command runs (lean `marg --help`).
      run(async () => (await import('./chaos-action.ts')).runChaosCommand(cli, flags)),
    );
}

function experimentList(value: string): ExperimentKind[] {
  const kinds = value.split(',').map((k) => k.trim()).filter(Boolean);
  for (const kind of kinds) if (!(EXPERIMENT_KINDS as readonly string[]).includes(kind)) throw new InvalidArgumentError(`unknown experiment "${kind}" (known: ${EXPERIMENT_KINDS.join(', ')})`);
  if (kinds.length === 0) throw new InvalidArgumentError('name at least one experiment');
  // The order is the documented one, whatever order they were given in.
  return EXPERIMENT_KINDS.filter((k) => kinds.includes(k));
}

function killCommand(value: string, previous: [ExperimentKind, string][]): [ExperimentKind, string][] {
  const match = /^([a-z-]+)=(.+)$/s.exec(value);
  if (!match || !(EXPERIMENT_KINDS as readonly string[]).includes(match[1]!)) throw new InvalidArgumentError(`must be <experiment>=<command> with an experiment of ${EXPERIMENT_KINDS.join(', ')}`);
  return [...previous, [match[1] as ExperimentKind, match[2]!]];
}

function bounded(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return Number(value);
  };
}
