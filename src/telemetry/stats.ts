import { LATENCY_BUCKETS_MS, OTHER_KEY, WAIT_BUCKETS_MS, type ExceptionStats, type JobStats, type MinuteSample, type QueueStats, type RouteStats } from './contract.ts';

/** Arithmetic on samples, shared by the recorder (one node) and the readers (merging nodes). */

export function emptySample(minute: number): MinuteSample {
  return { minute, requests: {}, queues: {}, jobs: {}, exceptions: {}, backlog: {}, rssBytes: 0, loopDelayMs: 0, realtimeMessages: 0 };
}

export function emptyRoute(): RouteStats {
  return { count: 0, errors: 0, totalMs: 0, maxMs: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) };
}

export function emptyJob(): JobStats {
  return { processed: 0, failed: 0, retried: 0, totalMs: 0, maxMs: 0 };
}

export function emptyQueue(): QueueStats {
  return { ...emptyJob(), waitBuckets: new Array<number>(WAIT_BUCKETS_MS.length + 1).fill(0), waitMaxMs: 0 };
}

/** The bucket of `ms` among upper `bounds` (default: the latency buckets); `bounds.length` is "above". */
export function bucketOf(ms: number, bounds: readonly number[] = LATENCY_BUCKETS_MS): number {
  for (let i = 0; i < bounds.length; i++) if (ms <= bounds[i]!) return i;
  return bounds.length;
}

/**
 * The q-quantile (0–1) from bucket counts over upper `bounds` (default: the latency buckets):
 * the upper bound of the bucket it falls in (the last, open bucket reports `maxMs`). Coarse by
 * design: fixed buckets keep a minute's row small.
 */
export function quantile(buckets: readonly number[], q: number, maxMs: number, bounds: readonly number[] = LATENCY_BUCKETS_MS): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= rank) return Math.min(bounds[i] ?? maxMs, maxMs);
  }
  return maxMs;
}

/** The entry under `key`, or under OTHER_KEY once the map holds `limit` keys (bounded rows whatever the traffic). */
export function slot<T>(map: Record<string, T>, key: string, limit: number, make: () => T): T {
  let entry = map[key];
  if (entry) return entry;
  const useKey = Object.keys(map).length >= limit ? OTHER_KEY : key;
  entry = map[useKey] ??= make();
  return entry;
}

export function addRoute(into: RouteStats, from: RouteStats): void {
  into.count += from.count;
  into.errors += from.errors;
  into.totalMs += from.totalMs;
  into.maxMs = Math.max(into.maxMs, from.maxMs);
  for (let i = 0; i < into.buckets.length; i++) into.buckets[i]! += from.buckets[i] ?? 0;
}

export function addJob(into: JobStats, from: JobStats): void {
  into.processed += from.processed;
  into.failed += from.failed;
  into.retried += from.retried;
  into.totalMs += from.totalMs;
  into.maxMs = Math.max(into.maxMs, from.maxMs);
}

export function addQueue(into: QueueStats, from: QueueStats): void {
  addJob(into, from);
  // A sample written before wait time was recorded has no wait fields.
  const waits = from.waitBuckets ?? [];
  for (let i = 0; i < into.waitBuckets.length; i++) into.waitBuckets[i]! += waits[i] ?? 0;
  into.waitMaxMs = Math.max(into.waitMaxMs, from.waitMaxMs ?? 0);
}

export function addException(into: ExceptionStats, from: ExceptionStats): void {
  into.count += from.count;
  into.message = from.message;
}

/** Adds `from` into `into` (same minute, another node): counts add, gauges take the max. */
export function mergeSample(into: MinuteSample, from: MinuteSample): void {
  for (const [k, v] of Object.entries(from.requests)) addRoute((into.requests[k] ??= emptyRoute()), v);
  for (const [k, v] of Object.entries(from.queues)) addQueue((into.queues[k] ??= emptyQueue()), v);
  for (const [k, v] of Object.entries(from.jobs)) addJob((into.jobs[k] ??= emptyJob()), v);
  for (const [k, v] of Object.entries(from.exceptions)) addException((into.exceptions[k] ??= { count: 0, message: '' }), v);
  for (const [k, v] of Object.entries(from.backlog)) into.backlog[k] = Math.max(into.backlog[k] ?? 0, v);
  into.rssBytes = Math.max(into.rssBytes, from.rssBytes);
  into.loopDelayMs = Math.max(into.loopDelayMs, from.loopDelayMs);
  into.realtimeMessages += from.realtimeMessages ?? 0;
}
