import { minuteOf, WAIT_BUCKETS_MS, type ExceptionStats, type JobStats, type MinuteSample, type NodeBeat, type NodeSample, type QueueStats, type RouteStats } from '../../src/telemetry/contract.ts';
import { REPORT_INTERVAL_MS } from '../../src/telemetry/reporter.ts';
import { emptySample, mergeSample, quantile } from '../../src/telemetry/stats.ts';

/** A node is shown missing (red) once it has skipped this many heartbeats. */
export const MISSING_AFTER_MS = 3 * REPORT_INTERVAL_MS;

export interface NodeRow extends NodeBeat {
  readonly uptimeMs: number;
  readonly sinceBeatMs: number;
  readonly missing: boolean;
}

export function nodeRows(beats: readonly NodeBeat[], now: number): NodeRow[] {
  return beats.map((b) => ({ ...b, uptimeMs: b.beatAt - b.startedAt, sinceBeatMs: Math.max(0, now - b.beatAt), missing: now - b.beatAt > MISSING_AFTER_MS }));
}

/** Every node's samples merged into one per minute, for `minutes` minutes up to now (empty minutes included). */
export function mergedMinutes(samples: readonly NodeSample[], now: number, minutes: number): MinuteSample[] {
  const last = minuteOf(now);
  const first = last - minutes + 1;
  const out = Array.from({ length: minutes }, (_, i) => emptySample(first + i));
  for (const { sample } of samples) {
    const at = sample.minute - first;
    if (at >= 0 && at < minutes) mergeSample(out[at]!, sample);
  }
  return out;
}

export interface OverviewSeries {
  /** Unix seconds of each minute (uPlot's x axis). */
  readonly x: number[];
  readonly requestsPerSecond: number[];
  /** Percent of responses with status ≥ 500. */
  readonly errorRate: number[];
  readonly p95Ms: number[];
}

function sumRoutes(sample: MinuteSample): RouteStats {
  const total: RouteStats = { count: 0, errors: 0, totalMs: 0, maxMs: 0, buckets: [] };
  for (const r of Object.values(sample.requests)) {
    total.count += r.count;
    total.errors += r.errors;
    total.maxMs = Math.max(total.maxMs, r.maxMs);
    r.buckets.forEach((n, i) => (total.buckets[i] = (total.buckets[i] ?? 0) + n));
  }
  return total;
}

export function overviewSeries(minutes: readonly MinuteSample[]): OverviewSeries {
  const totals = minutes.map(sumRoutes);
  return {
    x: minutes.map((m) => m.minute * 60),
    requestsPerSecond: totals.map((t) => round(t.count / 60)),
    errorRate: totals.map((t) => (t.count === 0 ? 0 : round((100 * t.errors) / t.count))),
    p95Ms: totals.map((t) => quantile(t.buckets, 0.95, t.maxMs)),
  };
}

export interface QueueSeries {
  readonly queue: string;
  readonly x: number[];
  readonly processed: number[];
  readonly failed: number[];
  readonly avgMs: number[];
  readonly backlog: number[];
  /** Wait (due to start) percentiles per minute, from the wait buckets; 0 in a minute without deliveries. */
  readonly waitP50Ms: number[];
  readonly waitP95Ms: number[];
}

export function queueSeries(minutes: readonly MinuteSample[]): QueueSeries[] {
  const names = new Set<string>();
  for (const m of minutes) for (const q of [...Object.keys(m.queues), ...Object.keys(m.backlog)]) names.add(q);
  return [...names].sort().map((queue) => ({
    queue,
    x: minutes.map((m) => m.minute * 60),
    processed: minutes.map((m) => m.queues[queue]?.processed ?? 0),
    failed: minutes.map((m) => m.queues[queue]?.failed ?? 0),
    avgMs: minutes.map((m) => average(m.queues[queue])),
    backlog: minutes.map((m) => m.backlog[queue] ?? 0),
    waitP50Ms: minutes.map((m) => waitQuantile(m.queues[queue], 0.5)),
    waitP95Ms: minutes.map((m) => waitQuantile(m.queues[queue], 0.95)),
  }));
}

function waitQuantile(q: QueueStats | undefined, at: number): number {
  // A sample written before wait time was recorded has no wait buckets.
  return q?.waitBuckets ? quantile(q.waitBuckets, at, q.waitMaxMs, WAIT_BUCKETS_MS) : 0;
}

export interface SlowRow {
  readonly name: string;
  readonly count: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly avgMs: number;
  readonly errors: number;
}

/** Routes by p95 over the minutes, slowest first. */
export function slowRoutes(minutes: readonly MinuteSample[], limit: number): SlowRow[] {
  const merged = emptySample(0);
  for (const m of minutes) mergeSample(merged, m);
  return Object.entries(merged.requests)
    .map(([name, r]) => ({ name, count: r.count, p95Ms: quantile(r.buckets, 0.95, r.maxMs), maxMs: round(r.maxMs), avgMs: r.count ? round(r.totalMs / r.count) : 0, errors: r.errors }))
    .sort((a, b) => b.p95Ms - a.p95Ms || b.maxMs - a.maxMs)
    .slice(0, limit);
}

/** Jobs by their slowest delivery, slowest first. */
export function slowJobs(minutes: readonly MinuteSample[], limit: number): SlowRow[] {
  const merged = emptySample(0);
  for (const m of minutes) mergeSample(merged, m);
  return Object.entries(merged.jobs)
    .map(([name, j]) => {
      const count = j.processed + j.failed + j.retried;
      return { name, count, p95Ms: 0, maxMs: round(j.maxMs), avgMs: average(j), errors: j.failed + j.retried };
    })
    .sort((a, b) => b.maxMs - a.maxMs)
    .slice(0, limit);
}

export interface ExceptionRow extends ExceptionStats {
  readonly type: string;
  readonly place: string;
  /** The last minute it happened, as an ISO time. */
  readonly lastSeen: string;
}

/** Exceptions grouped by type and place, most frequent first. */
export function exceptionGroups(minutes: readonly MinuteSample[], limit: number): ExceptionRow[] {
  const groups = new Map<string, { count: number; message: string; last: number }>();
  for (const m of minutes) {
    for (const [key, e] of Object.entries(m.exceptions)) {
      const g = groups.get(key) ?? { count: 0, message: '', last: 0 };
      g.count += e.count;
      if (m.minute >= g.last) (g.message = e.message), (g.last = m.minute);
      groups.set(key, g);
    }
  }
  return [...groups.entries()]
    .map(([key, g]) => {
      const at = key.indexOf(' @ ');
      return { type: at < 0 ? key : key.slice(0, at), place: at < 0 ? '' : key.slice(at + 3), count: g.count, message: g.message, lastSeen: new Date(g.last * 60_000).toISOString() };
    })
    .sort((a, b) => b.count - a.count)
    .slice(0, limit);
}

function average(j: JobStats | undefined): number {
  if (!j) return 0;
  const n = j.processed + j.failed + j.retried;
  return n === 0 ? 0 : round(j.totalMs / n);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
