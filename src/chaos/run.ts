import { randomBytes } from 'node:crypto';
import type { Services } from '../platform/services.ts';
import type { ChaosReport, ExperimentResult, Plan, Target } from './contract.ts';
import { describeOutcomes, HttpLoad, type LoadTarget } from './http-load.ts';
import { JobLoad, type Dispatch } from './job-load.ts';

export interface ChaosLimits {
  /** Requests per second, over at most `connections` keep-alive connections. */
  readonly rate: number;
  readonly connections: number;
  /** The whole run sends no more than this. */
  readonly maxRequests: number;
  readonly jobsPerSecond: number;
  /** How long each chaos job runs (so a worker can be killed mid-job). */
  readonly jobHoldMs: number;
  /** Longest an experiment watches after its kill. */
  readonly windowMs: number;
  /** Longest the run waits, after the load, for every acknowledged job to have run. */
  readonly settleMs: number;
}

export interface ChaosRun {
  readonly plan: Plan;
  readonly load: LoadTarget;
  /** The signed-in request the load repeats (Cookie or Authorization). */
  readonly headers: Readonly<Record<string, string>>;
  readonly services: Services;
  readonly limits: ChaosLimits;
  /** An event worth a line (a kill, a notice, a recovery). */
  readonly say: (line: string) => void;
  /** The live state (a terminal redraws it in place; elsewhere it is dropped). */
  readonly status?: (line: string) => void;
}

/** Requests and dispatches must have succeeded this long, with nothing failing, for an experiment to end early. */
const QUIET_MS = 3_000;
const WARMUP_MS = 2_000;
const PATH = '/api/me';

export class ChaosRefusal extends Error {}

/**
 * Runs the plan under a bounded load: signed-in requests through the balancer and `chaos.probe`
 * dispatches; one kill at a time, each watched until the system noticed and requests and
 * dispatches have succeeded for 3 s (or the window ends); then waits for every acknowledged
 * job and counts how often each ran.
 */
export async function runChaos(run: ChaosRun): Promise<ChaosReport> {
  const { limits, say } = run;
  const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const startedAt = new Date().toISOString();
  const http = new HttpLoad(run.load, PATH, run.headers, { rate: limits.rate, connections: limits.connections, maxRequests: limits.maxRequests });
  const jobs = new JobLoad(run.services, id, { perSecond: limits.jobsPerSecond, holdMs: limits.jobHoldMs, maxJobs: Math.ceil(limits.maxRequests / Math.max(1, limits.rate / limits.jobsPerSecond)) });
  const ticker = run.status ? setInterval(() => run.status!(liveLine(http, jobs)), 250) : undefined;
  const measured: Measured[] = [];
  try {
    await sleep(WARMUP_MS);
    const before = http.between(0).filter((o) => !o.ok);
    const badDispatch = jobs.between(0).find((d) => !d.ok);
    if (before.length > 0 || http.outcomes.length === 0) throw new ChaosRefusal(`requests fail before anything was killed (${before.length > 0 ? describeOutcomes(before) : 'no answer'}): fix the cluster first`);
    if (badDispatch) throw new ChaosRefusal(`dispatching a job fails before anything was killed: ${badDispatch.error}`);
    say(`Load running: ${limits.rate} requests/s on ${run.load.host}${PATH}, ${limits.jobsPerSecond} jobs/s (run ${id}).`);

    let from = 0;
    for (const target of run.plan.targets) {
      const entry: (typeof measured)[number] = { target, from, killAt: Date.now(), end: Date.now() };
      measured.push(entry);
      try {
        const prepared = await target.prepare?.({ run: id, cache: run.services.cache, say });
        if (prepared?.midJob !== undefined) entry.midJob = prepared.midJob;
        entry.killAt = Date.now();
        await target.kill();
        say(`${target.kind}: killed ${target.label}`);
        await watch(target, entry, http, jobs, limits.windowMs, say);
      } catch (error) {
        entry.error = (error as Error).message;
        say(`${target.kind}: ${entry.error}`);
      }
      entry.end = Date.now();
      from = entry.end;
      if (http.sent >= limits.maxRequests) {
        say(`Request budget (${limits.maxRequests}) spent: stopping here.`);
        break;
      }
    }
  } finally {
    await http.stop();
    await jobs.stop();
    if (ticker) clearInterval(ticker);
  }

  const acknowledged = jobs.settled.filter((d) => d.ok);
  say(`Waiting up to ${Math.round(limits.settleMs / 1000)} s for the ${acknowledged.length} acknowledged jobs to run…`);
  const deadline = Date.now() + limits.settleMs;
  let counts = await jobs.counts(acknowledged);
  while (Date.now() < deadline && acknowledged.some((d) => !counts.get(d.n))) {
    await sleep(500);
    counts = await jobs.counts(acknowledged);
  }

  const experiments: ExperimentResult[] = measured.map((m, i) => {
    const to = i === measured.length - 1 ? Infinity : m.end;
    return result(m, http.between(m.killAt, m.end), jobs.between(m.from, to), counts);
  });
  const ok = experiments.every((e) => !e.error && e.recovered && e.jobsLost === 0 && (e.failedAfterNoticed ?? 0) === 0);
  return { target: run.load.url.origin, startedAt, experiments, skipped: run.plan.skipped, ok };
}

/** After the kill: until the system noticed (when it says) and nothing failed for QUIET_MS, or the window ends. */
async function watch(target: Target, entry: { killAt: number; noticedAt?: number }, http: HttpLoad, jobs: JobLoad, windowMs: number, say: (line: string) => void): Promise<void> {
  while (Date.now() - entry.killAt < windowMs) {
    if (target.noticed && entry.noticedAt === undefined && (await target.noticed().catch(() => false))) {
      entry.noticedAt = Date.now();
      say(`${target.kind}: ${target.noticedBy ?? 'the system'} noticed after ${((entry.noticedAt - entry.killAt) / 1000).toFixed(1)} s`);
    }
    const since = Date.now() - QUIET_MS;
    const quiet = since > entry.killAt && http.between(since).every((o) => o.ok) && http.between(since).length > 0 && jobs.between(since).every((d) => d.ok);
    if (quiet && (!target.noticed || entry.noticedAt !== undefined)) return;
    await sleep(100);
  }
}

interface Measured {
  readonly target: Target;
  readonly from: number;
  killAt: number;
  noticedAt?: number;
  end: number;
  error?: string;
  midJob?: number;
}

function result(m: Measured, outcomes: ReturnType<HttpLoad['between']>, dispatches: Dispatch[], counts: Map<number, number>): ExperimentResult {
  const failed = outcomes.filter((o) => !o.ok);
  const failedDispatches = dispatches.filter((d) => !d.ok && d.at >= m.killAt);
  const lastFailure = Math.max(0, ...failed.map((o) => o.at), ...failedDispatches.map((d) => d.at));
  const recoveredAt = lastFailure === 0 ? m.killAt : outcomes.find((o) => o.ok && o.at > lastFailure)?.at;
  const acknowledged = dispatches.filter((d) => d.ok);
  const runs = acknowledged.map((d) => counts.get(d.n) ?? 0);
  return {
    kind: m.target.kind,
    target: m.target.label,
    ...(m.error ? { error: m.error } : {}),
    requests: outcomes.length,
    failedRequests: failed.length,
    ...(m.noticedAt !== undefined ? { noticedMs: m.noticedAt - m.killAt, noticedBy: m.target.noticedBy, failedAfterNoticed: failed.filter((o) => o.at >= m.noticedAt!).length } : {}),
    recoveryMs: (recoveredAt ?? m.end) - m.killAt,
    recovered: recoveredAt !== undefined,
    dispatched: dispatches.length,
    failedDispatches: failedDispatches.length,
    jobsOnce: runs.filter((n) => n === 1).length,
    jobsLost: runs.filter((n) => n === 0).length,
    jobsDuplicated: runs.filter((n) => n > 1).length,
    ...(m.midJob !== undefined ? { midJob: { n: m.midJob, runs: counts.get(m.midJob) ?? 0 } } : {}),
  };
}

function liveLine(http: HttpLoad, jobs: JobLoad): string {
  const failed = http.outcomes.filter((o) => !o.ok).length;
  return `requests ${http.outcomes.length - failed} ok, ${failed} failed; jobs ${jobs.settled.length} dispatched`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
