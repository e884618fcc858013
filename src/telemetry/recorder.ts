import { MAX_EXCEPTIONS, MAX_JOBS, MAX_ROUTES, minuteOf, WAIT_BUCKETS_MS, type MinuteSample } from './contract.ts';
import { bucketOf, emptyJob, emptyQueue, emptyRoute, emptySample, slot } from './stats.ts';

const MAX_MESSAGE_CHARS = 300;
const KEEP_UNSENT_MINUTES = 10;

/**
 * This process's counters for the current minute, kept in memory: recording a request or a job
 * is a few map lookups and additions, never I/O. The reporter takes the finished and current
 * minutes every few seconds and writes them to the store.
 */
export class TelemetryRecorder {
  /** Minutes not yet handed to the store for the last time, by minute. */
  readonly #open = new Map<number, MinuteSample>();

  constructor(private readonly clock: () => number = Date.now) {}

  #current(): MinuteSample {
    const minute = minuteOf(this.clock());
    let sample = this.#open.get(minute);
    if (!sample) {
      sample = emptySample(minute);
      this.#open.set(minute, sample);
    }
    return sample;
  }

  /** One response: `route` is `METHOD app pattern` (bounded: patterns, never raw URLs). */
  request(route: string, status: number, ms: number): void {
    const stats = slot(this.#current().requests, route, MAX_ROUTES, emptyRoute);
    stats.count += 1;
    if (status >= 500) stats.errors += 1;
    stats.totalMs += ms;
    if (ms > stats.maxMs) stats.maxMs = ms;
    stats.buckets[bucketOf(ms)]! += 1;
  }

  /** One job delivery's outcome, its run time and its wait (from when it became due to its start; per queue only). */
  job(queue: string, name: string, outcome: 'completed' | 'retry' | 'failed', ms: number, waitMs: number): void {
    const sample = this.#current();
    const queueStats = slot(sample.queues, queue, MAX_JOBS, emptyQueue);
    queueStats.waitBuckets[bucketOf(waitMs, WAIT_BUCKETS_MS)]! += 1;
    if (waitMs > queueStats.waitMaxMs) queueStats.waitMaxMs = waitMs;
    for (const stats of [queueStats, slot(sample.jobs, name, MAX_JOBS, emptyJob)]) {
      if (outcome === 'completed') stats.processed += 1;
      else if (outcome === 'failed') stats.failed += 1;
      else stats.retried += 1;
      stats.totalMs += ms;
      if (ms > stats.maxMs) stats.maxMs = ms;
    }
  }

  /** An exception: `type` (the error's name) at `place` (a route or a job name). */
  exception(type: string, place: string, message: string): void {
    const stats = slot(this.#current().exceptions, `${type} @ ${place}`, MAX_EXCEPTIONS, () => ({ count: 0, message: '' }));
    stats.count += 1;
    stats.message = (message.split('\n', 1)[0] ?? '').slice(0, MAX_MESSAGE_CHARS);
  }

  /** Gauges sampled by the reporter: the minute keeps the highest. */
  gauges(rssBytes: number, loopDelayMs: number): void {
    const sample = this.#current();
    sample.rssBytes = Math.max(sample.rssBytes, rssBytes);
    sample.loopDelayMs = Math.max(sample.loopDelayMs, loopDelayMs);
  }

  /** WebSocket messages sent since the last call. */
  realtimeMessages(sent: number): void {
    this.#current().realtimeMessages += sent;
  }

  backlog(queue: string, jobs: number): void {
    const sample = this.#current();
    if (queue in sample.backlog || Object.keys(sample.backlog).length < MAX_JOBS) sample.backlog[queue] = jobs;
  }

  /**
   * The minutes to write now: every open one. Past minutes are final and dropped here; the
   * current one stays open and is written again at the next flush, with what came since.
   */
  take(): MinuteSample[] {
    const now = minuteOf(this.clock());
    const out = [...this.#open.values()];
    for (const minute of this.#open.keys()) if (minute < now) this.#open.delete(minute);
    return out;
  }

  /** Hands samples back after a failed write, so the next flush tries them again. */
  giveBack(samples: readonly MinuteSample[]): void {
    // While the store is down a node keeps at most KEEP_UNSENT_MINUTES, not a growing backlog.
    const oldest = minuteOf(this.clock()) - KEEP_UNSENT_MINUTES;
    for (const sample of samples) if (sample.minute > oldest && !this.#open.has(sample.minute)) this.#open.set(sample.minute, sample);
  }
}

/** The process's recorder: the HTTP hook and the worker record here (one per process, like the metrics registry). */
export const telemetry = new TelemetryRecorder();
