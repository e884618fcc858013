import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withTimeout } from '../support/timeout.ts';

/**
 * Prometheus metrics (prom-client): one registry per process, served by metrics-server.ts on
 * METRICS_PORT. Every series carries `role` (web, worker, scheduler or all). Process metrics
 * keep prom-client's standard names (`process_*`, `nodejs_*`), which dashboards and alert
 * rules everywhere expect; Marg's own are `marg_*`. Recording is always on (a few hundred
 * nanoseconds); serving is what METRICS_PORT turns on.
 */
export const registry = new Registry();

export type MetricsRole = 'web' | 'worker' | 'scheduler' | 'realtime' | 'all';

/** Names the process's role on every series; called once by the role that serves the metrics. */
export function setMetricsRole(role: MetricsRole): void {
  registry.setDefaultLabels({ role });
}

let defaultMetrics = false;
/** Process metrics (CPU, memory, event loop lag, GC, handles): started only by a process that serves them. */
export function collectProcessMetrics(): void {
  if (defaultMetrics) return;
  defaultMetrics = true;
  collectDefaultMetrics({ register: registry });
}

// --- HTTP -------------------------------------------------------------------------------

/** Buckets up to 10 s with an edge at 2 s, the guides' p95 alert threshold. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];

export const httpRequestDuration = new Histogram({
  name: 'marg_http_request_duration_seconds',
  help: 'HTTP requests by app, route pattern (never the raw URL), method and status.',
  labelNames: ['app', 'route', 'method', 'status'] as const,
  buckets: HTTP_BUCKETS,
  registers: [registry],
});

// A plain number on the hot path, read into the gauge at scrape time.
let inFlight = 0;
export function httpRequestStarted(): void {
  inFlight += 1;
}
export function httpRequestFinished(): void {
  inFlight -= 1;
}

export const httpRequestsInFlight = new Gauge({
  name: 'marg_http_requests_in_flight',
  help: 'HTTP requests being handled by this process.',
  registers: [registry],
  collect() {
    this.set(inFlight);
  },
});

// --- Database ---------------------------------------------------------------------------

export const dbQueryDuration = new Histogram({
  name: 'marg_db_query_duration_seconds',
  help: 'Database queries by database and target (writer: the primary; reader: a read replica). Fed by src/database/query-timing.ts.',
  labelNames: ['database', 'target'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const dbReplicaLag = new Gauge({
  name: 'marg_db_replica_lag_seconds',
  help: 'How far each read replica (DB_READ_HOSTS) is behind its primary, as this node measured it last (every second); +Inf: not replicating. Reads skip a replica past DB_REPLICA_MAX_LAG.',
  labelNames: ['database', 'replica'] as const,
  registers: [registry],
});

// --- Cache ------------------------------------------------------------------------------

export const cacheHits = new Counter({
  name: 'marg_cache_hits_total',
  help: 'Cache reads that found the key, by store (memory, sqlite, redis).',
  labelNames: ['store'] as const,
  registers: [registry],
});

export const cacheMisses = new Counter({
  name: 'marg_cache_misses_total',
  help: 'Cache reads that did not find the key, by store.',
  labelNames: ['store'] as const,
  registers: [registry],
});

// --- Queue ------------------------------------------------------------------------------

export const queueJobs = new Counter({
  name: 'marg_queue_jobs_total',
  help: 'Job deliveries run by this worker, by queue, job name and outcome (completed, retry, failed).',
  labelNames: ['queue', 'name', 'outcome'] as const,
  registers: [registry],
});

export const queueJobDuration = new Histogram({
  name: 'marg_queue_job_duration_seconds',
  help: 'How long job deliveries ran, by queue and job name.',
  labelNames: ['queue', 'name'] as const,
  buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const queueJobWait = new Histogram({
  name: 'marg_queue_job_wait_seconds',
  help: 'How long job deliveries waited, by queue: from when each became due (dispatch, or the end of its delay or backoff) to its start.',
  labelNames: ['queue'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  registers: [registry],
});

/**
 * One job delivery as the worker reports it (QueueWorker.onJob's event has this shape). Metrics
 * define what they read themselves, so they do not depend on the queue.
 */
export interface JobDelivery {
  readonly job: { readonly queue: string; readonly name: string };
  readonly outcome: { readonly status: 'completed' | 'retry' | 'failed' };
  readonly durationMs: number;
  readonly waitMs: number;
}

/** One queue's depth by state (the queue's QueueCounts has these fields). */
export interface QueueDepth {
  readonly queue: string;
  readonly waiting: number;
  readonly running: number;
  readonly delayed: number;
  readonly failed: number;
}

/** QueueWorker.onJob: one delivery's outcome, duration and wait. */
export function recordJob(event: JobDelivery): void {
  const { queue, name } = event.job;
  queueJobs.inc({ queue, name, outcome: event.outcome.status });
  queueJobDuration.observe({ queue, name }, event.durationMs / 1000);
  queueJobWait.observe({ queue }, event.waitMs / 1000);
}

const QUEUE_STATES = ['waiting', 'running', 'delayed', 'failed'] as const;
const QUEUE_STATS_TIMEOUT_MS = 2_000;

/** Where the depth gauge reads from at scrape time: the queue store (cluster-wide, the same on every node). */
let queueStatsSource: (() => Promise<QueueDepth[]>) | undefined;

export function setQueueStatsSource(source: () => Promise<QueueDepth[]>): void {
  queueStatsSource = source;
}

/** Forgets the source, unless another one has replaced it since (two platforms in one test process). */
export function clearQueueStatsSource(source: () => Promise<QueueDepth[]>): void {
  if (queueStatsSource === source) queueStatsSource = undefined;
}

/**
 * One store query per scrape, shared by the two gauges below (prom-client collects metrics
 * concurrently). Undefined when the store failed or did not answer within 2 s.
 */
let pendingStats: Promise<QueueDepth[] | undefined> | undefined;
function scrapeQueueStats(): Promise<QueueDepth[] | undefined> {
  const source = queueStatsSource;
  if (!source) return Promise.resolve(undefined);
  pendingStats ??= withTimeout(source(), QUEUE_STATS_TIMEOUT_MS)
    .catch(() => undefined)
    .finally(() => (pendingStats = undefined));
  return pendingStats;
}

export const queueStatsUp = new Gauge({
  name: 'marg_queue_stats_up',
  help: "1 when the queue store answered this scrape's depth query within 2 s, else 0.",
  registers: [registry],
  async collect() {
    if (!queueStatsSource) return;
    this.set((await scrapeQueueStats()) ? 1 : 0);
  },
});

export const queueDepth = new Gauge({
  name: 'marg_queue_depth',
  help: 'Jobs in the queue store by queue and state, read at scrape time (cluster-wide: aggregate nodes with max).',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  // A store that fails or hangs must not break the scrape: the gauge is left empty and marg_queue_stats_up says 0.
  async collect() {
    this.reset();
    const counts = await scrapeQueueStats();
    for (const c of counts ?? []) for (const state of QUEUE_STATES) this.set({ queue: c.queue, state }, c[state]);
  },
});

// --- Backing services (high availability) ---------------------------------------------

/** What the up gauges read at scrape time: each server database's and Redis's answer to a ping. */
export interface BackendStatus {
  readonly databases: Readonly<Record<string, boolean>>;
  /** Undefined when this node uses no Redis. */
  readonly redis: boolean | undefined;
}

let backendSource: (() => Promise<BackendStatus>) | undefined;

export function setBackendSource(source: () => Promise<BackendStatus>): void {
  backendSource = source;
}

export function clearBackendSource(source: () => Promise<BackendStatus>): void {
  if (backendSource === source) backendSource = undefined;
}

let pendingBackends: Promise<BackendStatus | undefined> | undefined;
function scrapeBackends(): Promise<BackendStatus | undefined> {
  const source = backendSource;
  if (!source) return Promise.resolve(undefined);
  pendingBackends ??= withTimeout(source(), QUEUE_STATS_TIMEOUT_MS)
    .catch(() => undefined)
    .finally(() => (pendingBackends = undefined));
  return pendingBackends;
}

export const dbUp = new Gauge({
  name: 'marg_db_up',
  help: 'Per database: 1 when its primary answered this scrape\'s ping within 2 s, else 0 (the MargDatabaseDown alert).',
  labelNames: ['database'] as const,
  registers: [registry],
  async collect() {
    if (!backendSource) return;
    const status = await scrapeBackends();
    if (!status) {
      for (const v of (await this.get()).values) this.set(v.labels as { database: string }, 0);
      return;
    }
    for (const [database, up] of Object.entries(status.databases)) this.set({ database }, up ? 1 : 0);
  },
});

export const redisUp = new Gauge({
  name: 'marg_redis_up',
  help: "1 when Redis (the primary Sentinel names, with REDIS_SENTINELS) answered this scrape's PING within 2 s, else 0.",
  registers: [registry],
  async collect() {
    if (!backendSource) return;
    const status = await scrapeBackends();
    if (status?.redis === undefined && status !== undefined) return;
    this.set(status?.redis ? 1 : 0);
  },
});

export const redisPrimaryChanges = new Counter({
  name: 'marg_redis_primary_changes_total',
  help: 'Times this process found a different Redis server behind its connection after a reconnect (a Sentinel failover, or a restart): the MargRedisFailover alert.',
  registers: [registry],
});

// --- Scheduler --------------------------------------------------------------------------

export const scheduleRuns = new Counter({
  name: 'marg_schedule_runs_total',
  help: 'Scheduler ticks settled by this node, by task and status (ok, failed, skipped-overlap, taken).',
  labelNames: ['task', 'status'] as const,
  registers: [registry],
});

export const scheduleRunDuration = new Histogram({
  name: 'marg_schedule_run_duration_seconds',
  help: 'How long scheduled task runs took on this node (ok and failed runs), by task.',
  labelNames: ['task'] as const,
  buckets: [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
  registers: [registry],
});

/**
 * One settled tick. Wire it as the Scheduler's `onTick`:
 * `new Scheduler(services, tasks, { onTick: (e) => recordScheduleRun(e.task, e.outcome, e.ms) })`.
 */
export function recordScheduleRun(task: string, status: string, durationMs?: number): void {
  scheduleRuns.inc({ task, status });
  if (durationMs !== undefined && (status === 'ok' || status === 'failed')) scheduleRunDuration.observe({ task }, durationMs / 1000);
}

/** Every metric name this registry exposes (the Grafana test checks the dashboard against it). */
export async function exposedMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    const type = String(metric.type);
    if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

// --- Realtime ---------------------------------------------------------------------------

/** What a realtime server counts, read at scrape time (plain numbers on the hot path). */
export interface RealtimeCounts {
  readonly connections: number;
  readonly subscriptions: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
}

const realtimeSources = new Set<() => RealtimeCounts>();
/** A realtime server registers its counts while it runs (src/realtime/hub.ts). */
export function addRealtimeSource(source: () => RealtimeCounts): () => void {
  realtimeSources.add(source);
  return () => realtimeSources.delete(source);
}
/** Every running realtime server's counts summed (the ops app's heartbeat); undefined when this process runs none. */
export function realtimeSnapshot(): RealtimeCounts | undefined {
  if (realtimeSources.size === 0) return undefined;
  return { connections: realtimeTotal('connections'), subscriptions: realtimeTotal('subscriptions'), messagesIn: realtimeTotal('messagesIn'), messagesOut: realtimeTotal('messagesOut') };
}
function realtimeTotal(key: keyof RealtimeCounts): number {
  let total = 0;
  for (const source of realtimeSources) total += source()[key];
  return total;
}
/** Counters fed from running totals: each scrape adds what grew since the last one. */
function totalCounter(name: string, help: string, key: 'messagesIn' | 'messagesOut'): Counter {
  let reported = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = realtimeTotal(key);
      if (now > reported) this.inc(now - reported);
      reported = Math.max(reported, now);
    },
  });
}

export const realtimeConnections = new Gauge({
  name: 'marg_realtime_connections',
  help: 'Open WebSocket connections on this realtime node.',
  registers: [registry],
  collect() {
    this.set(realtimeTotal('connections'));
  },
});

export const realtimeSubscriptions = new Gauge({
  name: 'marg_realtime_subscriptions',
  help: 'Channel subscriptions held by sockets on this realtime node.',
  registers: [registry],
  collect() {
    this.set(realtimeTotal('subscriptions'));
  },
});

export const realtimeMessagesIn = totalCounter('marg_realtime_messages_received_total', 'WebSocket messages received from clients.', 'messagesIn');
export const realtimeMessagesOut = totalCounter('marg_realtime_messages_sent_total', 'WebSocket messages sent to clients (one per socket per event).', 'messagesOut');

export const realtimeDeliveryLatency = new Histogram({
  name: 'marg_realtime_delivery_seconds',
  help: 'From publish (any node) to the hand-off to this node\'s sockets, per event.',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

// --- Search -----------------------------------------------------------------------------

export const searchQueryDuration = new Histogram({
  name: 'marg_search_query_duration_seconds',
  help: 'Search queries by index and driver (the port: parse, engine, highlights).',
  labelNames: ['index', 'driver'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const searchIndexLag = new Histogram({
  name: 'marg_search_index_lag_seconds',
  help: 'From a searchable change (its dispatch) to its index job writing it, by index.',
  labelNames: ['index'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  registers: [registry],
});
