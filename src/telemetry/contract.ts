/**
 * The telemetry port (issue 18): every process reports a heartbeat and its own per-minute
 * aggregates to a shared store, which the ops app reads without a Prometheus. One row (database)
 * or hash field (Redis) per node and minute, each node writing only its own: no read-modify-write
 * races between nodes, and readers merge rows across nodes.
 *
 * Bounded: samples older than `WINDOW_MINUTES` are pruned and every sample caps its keys
 * (`MAX_ROUTES` …), so the store holds at most WINDOW_MINUTES × live nodes rows.
 */

/** How much history is kept: 24 h at 1-minute resolution. */
export const WINDOW_MINUTES = 24 * 60;
/** A node whose heartbeat is older than this is forgotten (its samples age out with the window). */
export const NODE_FORGET_MS = WINDOW_MINUTES * 60_000;

/** Upper bounds (ms) of the latency buckets; one more bucket counts everything above the last. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000] as const;

/**
 * Upper bounds (ms) of the queue wait buckets: from a job's due time to its start, which runs
 * from milliseconds (idle workers) to an hour (a backlog), so wider than the latency buckets.
 */
export const WAIT_BUCKETS_MS = [10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000] as const;

/** Distinct keys one node's minute may hold per map; further ones are counted under `OTHER_KEY`. */
export const MAX_ROUTES = 200;
export const MAX_JOBS = 100;
export const MAX_EXCEPTIONS = 50;
export const OTHER_KEY = '(other)';

/** Requests of one route (`GET flow /api/tasks/:id`) in one minute. */
export interface RouteStats {
  count: number;
  /** Responses with status ≥ 500. */
  errors: number;
  totalMs: number;
  maxMs: number;
  /** Counts per LATENCY_BUCKETS_MS bucket, plus one for "above". */
  buckets: number[];
}

/** Deliveries of one queue (or one job name) in one minute. */
export interface JobStats {
  processed: number;
  failed: number;
  /** Attempts that failed and will be tried again. */
  retried: number;
  totalMs: number;
  maxMs: number;
}

/**
 * Deliveries of one queue in one minute, with how long they waited: from when each became due
 * (dispatch, or the end of its delay or backoff) to its start. Samples written before wait time
 * was recorded have no wait fields: readers count them as no waits.
 */
export interface QueueStats extends JobStats {
  /** Counts per WAIT_BUCKETS_MS bucket, plus one for "above". */
  waitBuckets: number[];
  waitMaxMs: number;
}

/** One kind of exception (type at place) in one minute. */
export interface ExceptionStats {
  count: number;
  /** The latest message, first line, cut short. */
  message: string;
}

/** What one node saw in one minute. */
export interface MinuteSample {
  /** Minutes since the epoch (UTC). */
  readonly minute: number;
  readonly requests: Record<string, RouteStats>;
  readonly queues: Record<string, QueueStats>;
  readonly jobs: Record<string, JobStats>;
  /** Keyed `type @ place`. */
  readonly exceptions: Record<string, ExceptionStats>;
  /** Waiting + delayed jobs per queue, as last sampled by a worker node this minute. */
  backlog: Record<string, number>;
  rssBytes: number;
  /** The event loop's p99 delay this minute. */
  loopDelayMs: number;
  /** WebSocket messages this node's realtime server sent this minute (one per socket per event). */
  realtimeMessages: number;
}

/** A node's heartbeat: who it is and how it is, every few seconds. */
export interface NodeBeat {
  /** `hostname:pid`. */
  readonly node: string;
  /**
   * The name the deployment gave the node (MARG_NODE_NAME: `marg cluster`'s web-1, a container's
   * name), shown beside `node`; not the key, as the processes of one `WEB_CONCURRENCY` share it.
   */
  readonly name?: string;
  readonly roles: readonly string[];
  readonly version: string;
  readonly startedAt: number;
  readonly beatAt: number;
  readonly rssBytes: number;
  readonly loopDelayMs: number;
  /** Open WebSockets and channel subscriptions, on a node that runs a realtime server. */
  readonly realtime?: { readonly connections: number; readonly subscriptions: number };
}

export interface NodeSample {
  readonly node: string;
  readonly sample: MinuteSample;
}

/** The shared store: `database` (the platform database) or `redis`. */
export interface TelemetryStore {
  readonly driver: 'database' | 'redis';
  /** Records the heartbeat and replaces this node's rows for the samples' minutes. */
  report(beat: NodeBeat, samples: readonly MinuteSample[]): Promise<void>;
  /** Drops samples before `beforeMinute` and nodes whose last beat is before `beatBefore` (ms). */
  prune(beforeMinute: number, beatBefore: number): Promise<void>;
  /** Every node with a heartbeat kept. */
  nodes(): Promise<NodeBeat[]>;
  /** Every node's samples from `fromMinute` on. */
  samples(fromMinute: number): Promise<NodeSample[]>;
  /** Rows (database) or keys (Redis) held: what the window's bound is about. */
  footprint(): Promise<number>;
  close(): Promise<void>;
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}
