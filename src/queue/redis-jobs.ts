import { randomUUID } from 'node:crypto';
import type { Job, JobsOptions } from 'bullmq';
import type { RedisSettings } from '../redis/settings.ts';
import type { Backoff, FailedJob, JsonValue, NewJob, ReservedJob } from './contract.ts';

/**
 * What a Marg job stores in BullMQ's `data` (its name is BullMQ's job name, its queue is the
 * BullMQ queue). Unset options are left out: every worker parses this for every job.
 */
export interface StoredJob {
  readonly payload: JsonValue;
  readonly tries?: number;
  readonly backoff?: Backoff;
  readonly timeoutMs?: number;
  readonly uniqueKey?: string;
}

export type BullJob = Job<StoredJob, unknown, string>;

/** The name of the custom backoff strategy: the delay is the one Marg's worker runtime chose (see RetryLater). */
export const MARG_BACKOFF = 'marg';

/**
 * BullMQ never retries or fails on its own: Marg's worker runtime decides every outcome
 * (tries, backoff), and a stalled job always comes back (at least once).
 */
export const NEVER = 1_000_000;

/** Every BullMQ key sits under `<REDIS_PREFIX>queue:` (as cache:, session:, lock: do). */
export function bullPrefix(settings: RedisSettings): string {
  return `${settings.prefix}queue`;
}

/** The set of queue names this deployment has used: BullMQ keeps none, and stats() lists every queue. */
export function queueNamesKey(settings: RedisSettings): string {
  return `${settings.prefix}queues`;
}

export function toBullOptions(job: NewJob, jobId: string): JobsOptions {
  return {
    jobId,
    ...(job.delayMs > 0 ? { delay: job.delayMs } : {}),
    attempts: NEVER,
    backoff: { type: MARG_BACKOFF },
    removeOnComplete: true,
    // Failed jobs are kept (BullMQ's default, removeOnFail: false) until retried, forgotten, flushed or pruned.
    // The error is kept as failedReason; a stack of the synthetic error that carries it says nothing.
    stackTraceLimit: 0,
    ...(job.uniqueKey !== null ? { deduplication: { id: job.uniqueKey } } : {}),
  };
}

export function toStored(job: NewJob): StoredJob {
  return {
    payload: job.payload,
    ...(job.tries !== null ? { tries: job.tries } : {}),
    ...(job.backoff !== null ? { backoff: job.backoff } : {}),
    ...(job.timeoutMs !== null ? { timeoutMs: job.timeoutMs } : {}),
    ...(job.uniqueKey !== null ? { uniqueKey: job.uniqueKey } : {}),
  };
}

/** Marg's id names the queue too (`mail:<job id>`), so operators' commands find a job with one lookup. */
export function margId(queue: string, jobId: string): string {
  return `${queue}:${jobId}`;
}

const QUEUE = /^[A-Za-z0-9_-]{1,64}$/;

export function parseMargId(id: string): { queue: string; jobId: string } | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const queue = id.slice(0, colon);
  const jobId = id.slice(colon + 1);
  return QUEUE.test(queue) && /^[A-Za-z0-9_-]{1,100}$/.test(jobId) ? { queue, jobId } : undefined;
}

let lastMs = 0;
let sequence = 0;

/**
 * A job id that sorts in dispatch order within this process: millisecond, sequence, random.
 * BullMQ orders a set's equal scores by member, so jobs that failed in the same millisecond
 * still list newest first. (No dependency offers monotonic UUIDv7 on Node 20.)
 */
export function newJobId(): string {
  const now = Date.now();
  sequence = now === lastMs ? sequence + 1 : 0;
  lastMs = now;
  return `${now.toString(16).padStart(12, '0')}-${sequence.toString(16).padStart(4, '0')}-${randomUUID().slice(24)}`;
}

/**
 * Marg's own field in BullMQ's job hash: when the job last became due again (the end of a
 * retry's backoff, a hand-back, an operator's retry), in epoch ms. BullMQ keeps no such time: a
 * retry overwrites `delay` with the backoff and `timestamp` stays the dispatch time.
 */
export const READY_FIELD = 'margReadyAt';

/**
 * When a delivery became due: the dispatch time plus its delay, or a later READY_FIELD. A job
 * moved back by the stalled check (its worker died) has neither updated: its wait then also
 * counts the lost delivery, as BullMQ does not say when the lock expired.
 */
export function readyTime(job: BullJob, marked: unknown): number {
  const dispatchedReady = job.timestamp + (job.opts.delay ?? 0);
  const mark = Number(marked);
  return Number.isFinite(mark) ? Math.max(dispatchedReady, mark) : dispatchedReady;
}

export function toReserved(queue: string, job: BullJob, readyAt: number): ReservedJob {
  const data = job.data;
  return {
    id: margId(queue, job.id ?? ''),
    name: job.name,
    queue,
    payload: data.payload ?? null,
    // Counts deliveries, including one whose worker died: BullMQ increments it as the job becomes active.
    attempt: job.attemptsStarted,
    readyAt,
    tries: data.tries ?? null,
    backoff: data.backoff ?? null,
    timeoutMs: data.timeoutMs ?? null,
    uniqueKey: data.uniqueKey ?? null,
  };
}

export function toFailed(queue: string, job: BullJob): FailedJob {
  return {
    id: margId(queue, job.id ?? ''),
    queue,
    name: job.name,
    payload: job.data.payload ?? null,
    attempts: job.attemptsStarted,
    error: job.failedReason ?? '',
    failedAt: new Date(job.finishedOn ?? job.timestamp).toISOString(),
  };
}

/** Carries the runtime's retry delay to the backoff strategy (BullMQ keeps the message as failedReason). */
export class RetryLater extends Error {
  override name = 'RetryLater';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}
