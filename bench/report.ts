import { cpus } from 'node:os';
import type { LoadSettings, PacedResult, PassResult } from './load.ts';

/** The budgets of DESIGN §6 for the web role. */
export const BUDGETS = {
  jsonRatio: 0.4,
  jsonHalfLoadP99Ms: 10,
  redirectRatio: 0.6,
  rssMb: 150,
  bootMs: 2000,
} as const;

export interface BaselineRun {
  readonly passes: readonly PassResult[];
  readonly bootMs: number;
  readonly rssMb: number;
}

export interface MargRun {
  readonly describe: string;
  readonly drivers: string;
  readonly bootMs: readonly number[];
  readonly json: readonly PassResult[];
  /** Paced at half the best JSON rate, one per round. */
  readonly jsonHalf: readonly PacedResult[];
  /** Bare Fastify paced at the same rate, right after each of those. */
  readonly control: readonly PacedResult[];
  readonly redirect: readonly PassResult[];
  readonly redirectHead: readonly PassResult[];
  readonly clicksCounted: number;
  readonly rssAfterBootMb: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
}

const rps = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(2)} ms`;
const pct = (n: number) => `${(n * 100).toFixed(0)}%`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const best = (passes: readonly PassResult[]) => Math.max(...passes.map((p) => p.requestsPerSecond));
const perCore = (passes: readonly PassResult[]) => median(passes.map((p) => p.perCoreRps));

/** Both estimates agree → pass or FAIL; they disagree → the noise decides, say so. */
function verdict(...oks: boolean[]): string {
  if (oks.every(Boolean)) return 'pass';
  if (!oks.some(Boolean)) return '**FAIL**';
  return 'unclear (noise)';
}

/** The whole report: settings, the budget table and every pass (Markdown, for bench/RESULTS.md). */
export function report(baseline: BaselineRun, runs: readonly MargRun[], settings: LoadSettings & { rounds: number }): string {
  return [
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${settings.rounds} rounds of ${settings.seconds} s passes, ` +
      `${settings.connections} connections, pipelining 1; servers on core 1, load generator on core 0.`,
    ...runs.map((r) => `- ${r.describe}`),
    '',
    budgetTable(baseline, runs),
    '',
    passTable(baseline, runs),
    '',
  ].join('\n');
}

/**
 * Throughput is compared two ways: best requests/s of the rounds (the least disturbed one;
 * the budget as written), and median requests per second of server CPU, which still means
 * something when other work on the machine takes part of the core.
 */
function budgetTable(baseline: BaselineRun, runs: readonly MargRun[]): string {
  const base = best(baseline.passes);
  const baseCore = perCore(baseline.passes);
  const rows: string[][] = [['bare Fastify hello world', `${rps(base)} req/s; ${rps(baseCore)} per CPU-s`, '', '', '', '']];
  const throughput = (name: string, passes: readonly PassResult[], budget: number | undefined) => {
    const raw = best(passes) / base;
    const core = perCore(passes) / baseCore;
    rows.push([
      name,
      `${rps(best(passes))} req/s; ${rps(perCore(passes))} per CPU-s`,
      pct(raw),
      pct(core),
      budget === undefined ? '(info)' : `≥ ${pct(budget)}`,
      budget === undefined ? '' : verdict(raw >= budget, core >= budget),
    ]);
  };
  for (const run of runs) {
    const name = run.drivers;
    const rate = run.jsonHalf[0]?.rate ?? 0;
    const p99s = run.jsonHalf.map((p) => p.p99Ms);
    const controls = run.control.map((p) => p.p99Ms);
    throughput(`${name}: GET flow /api/tasks/:id (signed in)`, run.json, BUDGETS.jsonRatio);
    rows.push([
      `${name}: same, paced at ${rps(rate)} req/s (50%): p99`,
      `best ${ms(Math.min(...p99s))}, median ${ms(median(p99s))}; bare Fastify at that rate: best ${ms(Math.min(...controls))}, median ${ms(median(controls))}`,
      '',
      '',
      `≤ ${BUDGETS.jsonHalfLoadP99Ms} ms`,
      verdict(Math.min(...p99s) <= BUDGETS.jsonHalfLoadP99Ms, median(p99s) <= BUDGETS.jsonHalfLoadP99Ms),
    ]);
    throughput(`${name}: GET links /<slug> → 302 (counts a click)`, run.redirect, BUDGETS.redirectRatio);
    throughput(`${name}: HEAD links /<slug> → 302 (same, minus the click UPDATE)`, run.redirectHead, undefined);
    rows.push([
      `${name}: resident memory after the load`,
      `${run.rssMb.toFixed(0)} MB (after boot ${run.rssAfterBootMb.toFixed(0)} MB, peak ${run.peakRssMb.toFixed(0)} MB)`,
      '',
      '',
      `≤ ${BUDGETS.rssMb} MB`,
      verdict(run.rssMb <= BUDGETS.rssMb),
    ]);
    const boot = median(run.bootMs);
    rows.push([
      `${name}: spawn to /health/ready 200`,
      `median ${boot.toFixed(0)} ms (${run.bootMs.map((b) => b.toFixed(0)).join(', ')})`,
      '',
      '',
      `≤ ${BUDGETS.bootMs} ms`,
      verdict(boot <= BUDGETS.bootMs),
    ]);
  }
  rows.push(['bare Fastify (for scale): boot, RSS after load', `${baseline.bootMs.toFixed(0)} ms, ${baseline.rssMb.toFixed(0)} MB`, '', '', '', '']);
  return markdown(['Measure', 'Value', 'vs bare: best req/s', 'vs bare: per CPU-s', 'Budget', 'Result'], rows);
}

/** Every pass, with the CPU each side used: a server well under 100% of its core at full load was held back. */
function passTable(baseline: BaselineRun, runs: readonly MargRun[]): string {
  const rows: string[][] = [];
  const add = (name: string, passes: readonly PassResult[]) =>
    passes.forEach((p, i) =>
      rows.push([`${name} #${i + 1}`, rps(p.requestsPerSecond), p.total.toLocaleString('en-US'), ms(p.p50Ms), ms(p.p99Ms), ms(p.maxMs), pct(p.serverCpu), pct(p.loadCpu), rps(p.perCoreRps)]),
    );
  add('bare Fastify max', baseline.passes);
  for (const run of runs) {
    add(`${run.drivers} JSON max`, run.json);
    add(`${run.drivers} redirect GET max`, run.redirect);
    add(`${run.drivers} redirect HEAD max`, run.redirectHead);
    const paced = (label: string, passes: readonly PacedResult[]) =>
      add(`${run.drivers} ${label} paced ${rps(passes[0]?.rate ?? 0)}/s (late-send p99 ${passes.map((p) => p.lateSendP99Ms.toFixed(1)).join('/')} ms)`, passes);
    paced('JSON', run.jsonHalf);
    paced('bare Fastify control', run.control);
  }
  const clicks = runs.map((r) => `${r.drivers}: ${r.clicksCounted.toLocaleString('en-US')} clicks counted for ${r.redirect.reduce((s, p) => s + p.total, 0).toLocaleString('en-US')} measured redirects`);
  return [
    markdown(['Pass', 'req/s', 'requests', 'p50', 'p99', 'max', 'server CPU', 'loadgen CPU', 'req per server CPU-s'], rows),
    '',
    `Click UPDATEs: ${clicks.join('; ')} (max-pass latencies are autocannon's whole milliseconds).`,
  ].join('\n');
}

function markdown(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
