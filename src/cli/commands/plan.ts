import { InvalidArgumentError, type Command } from 'commander';
import type { QueueDriver } from '../../plan/capacities.ts';
import type { CliContext } from '../context.ts';
import type { PlanOptions } from './plan-action.ts';

const number = (rule: string, ok: (n: number) => boolean) => (value: string) => {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!ok(n)) throw new InvalidArgumentError(rule);
  return n;
};
const wholeNumber = (min: number) => number(`must be a whole number ≥ ${min}`, (n) => Number.isInteger(n) && n >= min);
const atLeast = (min: number) => number(`must be a number ≥ ${min}`, (n) => n >= min);
const between = (min: number, max: number) => number(`must be a number from ${min} to ${max}`, (n) => n >= min && n <= max);
const queueDriver = (value: string): QueueDriver => {
  if (value !== 'redis' && value !== 'database') throw new InvalidArgumentError('must be redis or database');
  return value;
};

export function registerPlan(program: Command, cli: CliContext): void {
  program
    .command('plan')
    .description("size a deployment: the guides' phase, nodes per role, Redis and database, monthly cost (from measured capacities: npm run bench)")
    .requiredOption('--users <n>', 'active users at the peak', wholeNumber(1))
    .option('--rps <n>', 'requests per second at the peak (default: 10 per user per minute, the guide\'s figure)', atLeast(0))
    .option('--jobs-per-minute <n>', 'queued jobs per minute at the peak (default: 0.2 per user)', atLeast(0))
    .option('--sockets <n>', 'open realtime sockets at the peak (default: one per user)', wholeNumber(0))
    .option('--headroom <x>', 'capacity ÷ peak load for every role (default 2)', between(1, 10))
    .option('--job-ms <ms>', "CPU milliseconds of a job's own work (default 20)", atLeast(0))
    .option('--redirect-share <f>', 'share of requests that are cached short-link redirects, 0–1 (default 0: all signed-in JSON)', between(0, 1))
    .option('--queue <driver>', 'queue driver: redis (default) or database', queueDriver)
    .option('--db-pool-max <n>', 'DB_POOL_MAX of every process (default 10)', wholeNumber(1))
    .option('--prices <file>', "price table (JSON, the shape of the built-in one: see docs/capacity.md); default: the guide's instance types and prices")
    .option('--capacities <file>', 'measured capacities, written by npm run bench (default: bench/capacity.json)')
    .option('--calibrate', 'first measure this machine with a short benchmark (about a minute; needs 2 cores, taskset and the dev dependencies)')
    .option('--json', 'print the plan as JSON')
    // The planner and its schemas load only when the command runs (lean `marg --help`).
    .action(async (options: PlanOptions) => (await import('./plan-action.ts')).runPlanCommand(cli, options));
}
