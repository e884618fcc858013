// Writes what a benchmark measured to bench/capacity.json (or BENCH_CAPACITY_FILE), the per-core
// capacities `marg plan` sizes a cluster with. Each benchmark calls one of these at its end with
// the numbers it already computed; each replaces only its own section of the file.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPACITY_FILE, thisMachine, writeCapacitySection } from '../src/plan/capacity-file.ts';
import type { PassResult } from './load.ts';
import { median } from './report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function capacityFilePath(): string {
  return process.env.BENCH_CAPACITY_FILE || join(ROOT, CAPACITY_FILE);
}

// BENCH_CAPACITY_COMMAND: what ran, when it was not the plain npm script (`marg plan --calibrate` says so).
const measured = (command: string) => ({ measuredAt: new Date().toISOString(), machine: thisMachine(), command: process.env.BENCH_CAPACITY_COMMAND || command });
const perCore = (passes: readonly PassResult[]) => median(passes.map((p) => p.perCoreRps));

/** bench/http.ts: requests per server CPU-second (median of the rounds) and the peak RSS, per driver set. */
export function recordWebCapacity(runs: readonly { drivers: string; json: readonly PassResult[]; redirect: readonly PassResult[]; peakRssMb: number }[], command: string): string {
  const drivers: Record<string, { signedInJson: number; cachedRedirect: number; peakRssMb: number }> = {};
  for (const run of runs) {
    if (run.json.length === 0 || run.redirect.length === 0) continue;
    drivers[run.drivers] = { signedInJson: Math.round(perCore(run.json)), cachedRedirect: Math.round(perCore(run.redirect)), peakRssMb: Math.round(run.peakRssMb) };
  }
  const path = capacityFilePath();
  writeCapacitySection(path, 'web', { ...measured(command), drivers });
  return path;
}

/** bench/queue.ts: no-op jobs per consumer CPU-second (1000 ÷ median CPU ms per job) and end to end, per Marg driver. */
export function recordQueueCapacity(passes: readonly { kind: string; jobsPerSecond: number; consumerCpuPerJobMs: number }[], command: string): string | undefined {
  const drivers: Record<string, { jobsPerCoreSecond: number; jobsPerSecond: number }> = {};
  for (const driver of ['redis', 'database'] as const) {
    const of = passes.filter((p) => p.kind === driver);
    if (of.length === 0) continue;
    drivers[driver] = { jobsPerCoreSecond: Math.round(1000 / median(of.map((p) => p.consumerCpuPerJobMs))), jobsPerSecond: Math.round(median(of.map((p) => p.jobsPerSecond))) };
  }
  if (Object.keys(drivers).length === 0) return undefined;
  const path = capacityFilePath();
  writeCapacitySection(path, 'queue', { ...measured(command), drivers });
  return path;
}

/** bench/realtime.ts: the sockets one Marg node held, its RSS with them, its burst fan-out. */
export function recordRealtimeCapacity(run: { connected: number; rssMb: number; burstPerSecond: number }, command: string): string {
  const path = capacityFilePath();
  writeCapacitySection(path, 'realtime', { ...measured(command), sockets: run.connected, rssMb: Math.round(run.rssMb), fanoutPerSecond: Math.round(run.burstPerSecond) });
  return path;
}

/** Runs a writer after the report is out: a failure to write is logged, never loses the run's results. */
export function recordCapacity(log: (line: string) => void, write: () => string | undefined): void {
  try {
    const path = write();
    if (path) log(`capacities for marg plan written to ${path}`);
  } catch (error) {
    log(`could not write the capacities for marg plan: ${error instanceof Error ? error.message : String(error)}`);
  }
}
