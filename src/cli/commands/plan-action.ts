import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
// Only the planner's own modules: `marg plan` opens no store and loads no configuration.
import { CapacityFileError, resolveCapacities, type QueueDriver } from '../../plan/capacities.ts';
import { CAPACITY_FILE, readCapacityFile } from '../../plan/capacity-file.ts';
import { formatPlan } from '../../plan/format.ts';
import { plan, PlanInputError } from '../../plan/plan.ts';
import { readPriceFile } from '../../plan/price-file.ts';
import { DEFAULT_PRICES, PriceTableError } from '../../plan/prices.ts';
import { PROJECT_ROOT } from '../../support/project-root.ts';
import type { CliContext } from '../context.ts';


export interface PlanOptions {
  users: number;
  rps?: number;
  jobsPerMinute?: number;
  sockets?: number;
  headroom?: number;
  jobMs?: number;
  redirectShare?: number;
  queue?: QueueDriver;
  dbPoolMax?: number;
  prices?: string;
  capacities?: string;
  calibrate?: boolean;
  json?: boolean;
}

/** `--calibrate` stops the benchmark after this long, whatever it is doing. */
const CALIBRATE_LIMIT_MS = 180_000;

class CalibrationError extends Error {}

/** What `marg plan` does once its options are parsed (src/cli/commands/plan.ts registers it). */
export async function runPlanCommand(cli: CliContext, options: PlanOptions): Promise<void> {
  try {
    const capacityFile = options.capacities ?? CAPACITY_FILE;
    const capacityPath = resolve(capacityFile);
    if (options.calibrate) await calibrate(capacityPath);
    const prices = options.prices ? readPriceFile(options.prices) : DEFAULT_PRICES;
    const file = readCapacityFile(capacityPath);
    if (!file) process.stderr.write(`marg: no ${capacityFile}: using the default capacities (run npm run bench or marg plan --calibrate to measure this machine)\n`);
    const capacities = resolveCapacities(file, capacityFile, options.queue ?? 'redis');
    const result = plan(
      {
        users: options.users,
        rps: options.rps,
        jobsPerMinute: options.jobsPerMinute,
        sockets: options.sockets,
        headroom: options.headroom,
        jobCpuMs: options.jobMs,
        redirectShare: options.redirectShare,
        queue: options.queue,
        databases: cli.layout.databases.length,
        dbPoolMax: options.dbPoolMax,
      },
      capacities,
      prices,
    );
    const pricesSource = options.prices ?? DEFAULT_PRICES.source ?? 'built in';
    process.stdout.write(options.json ? `${JSON.stringify({ ...result, prices: pricesSource }, null, 2)}\n` : formatPlan(result, { prices: pricesSource }));
  } catch (error) {
    if (error instanceof PlanInputError || error instanceof CapacityFileError || error instanceof PriceTableError || error instanceof CalibrationError) {
      process.stderr.write(`marg: ${error.message}\n`);
      process.exitCode = error instanceof CalibrationError ? 1 : 2;
      return;
    }
    throw error;
  }
}

/**
 * A short `npm run bench` (embedded drivers, one round of 3 s passes, one boot) that writes the
 * web capacities of this machine to `path`; queue and realtime keep what was measured before.
 */
function calibrate(path: string): Promise<void> {
  const script = resolve(PROJECT_ROOT, 'bench/http.ts');
  if (!existsSync(script)) return Promise.reject(new CalibrationError(`--calibrate needs the benchmark ${script}, which this installation does not have`));
  process.stderr.write(`marg: calibrating: a short web benchmark on this machine (at most ${CALIBRATE_LIMIT_MS / 1000} s)\n`);
  const env = { ...process.env, BENCH_ONLY: 'embedded', BENCH_ROUNDS: '1', BENCH_SECONDS: '3', BENCH_BOOTS: '1', BENCH_CAPACITY_FILE: path, BENCH_CAPACITY_COMMAND: 'marg plan --calibrate (embedded drivers, 1 round of 3 s passes)' };
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  // The benchmark's report goes to stderr: stdout is the plan (and --json must stay parseable).
  child.stdout.pipe(process.stderr, { end: false });
  return new Promise((done, fail) => {
    let timedOut = false;
    const limit = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM'); // the benchmark stops its servers on SIGTERM
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, CALIBRATE_LIMIT_MS);
    child.once('error', (error) => {
      clearTimeout(limit);
      fail(new CalibrationError(`--calibrate could not start the benchmark: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      if (timedOut) fail(new CalibrationError(`--calibrate: the benchmark took longer than ${CALIBRATE_LIMIT_MS / 1000} s and was stopped`));
      else if (code !== 0) fail(new CalibrationError(`--calibrate: the benchmark failed (${signal ?? `exit ${code}`}; its output is above)`));
      else done();
    });
  });
}
