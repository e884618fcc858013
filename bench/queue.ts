// Queue budgets of DESIGN §6, in one run: raw BullMQ, Marg's Redis queue (BullMQ underneath,
// through Marg's worker runtime), and Marg's database queue on MariaDB; no-op jobs end to end.
// Run: `npm run bench:queue` (or `node --import tsx bench/queue.ts`). Results: bench/RESULTS.md.
//
// Each consumer is a process of its own pinned to core 1 (`taskset -c 1`), started fresh for
// each pass; this process, the producer, pins itself to core 0. A pass dispatches a warm-up
// batch and waits for it to drain, then starts the clock, dispatches BENCH_JOBS jobs in
// chunks while the consumer runs, and stops the clock when the queue is empty again (polled
// every 5 ms). Passes are interleaved in rounds (raw, Marg Redis, Marg database, again...).
// Options (environment): BENCH_JOBS (20000), BENCH_ROUNDS (5), BENCH_CONCURRENCY (10),
// BENCH_CHUNK (1000 jobs dispatched at once), BENCH_ONLY=raw,redis,database (any of them),
// BENCH_DISPATCH=bulk (default: a chunk is one dispatchMany, as raw BullMQ's is one addBulk)
// or single (a chunk is that many dispatch() calls at once).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { ensureDatabaseExists } from '../src/database/create-database.ts';
import { migrateToLatest } from '../src/database/migrator.ts';
import { mysqlDialect } from '../src/database/mysql-dialect.ts';
import { pgsqlDialect } from '../src/database/pgsql-dialect.ts';
import { createServerConnection } from '../src/database/server.ts';
import type { ServerDatabaseConfig } from '../src/database/settings.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { QueueBackend } from '../src/queue/contract.ts';
import { createDatabaseQueue } from '../src/queue/database.ts';
import { queueMigrations } from '../src/queue/database-schema.ts';
import { normalise } from '../src/queue/queue.ts';
import { createRedisQueue } from '../src/queue/redis.ts';
import { QueueWorker } from '../src/queue/worker.ts';
import { redisOptions } from '../src/redis/connection.ts';
import type { RedisSettings } from '../src/redis/settings.ts';
import { median } from './report.ts';
import { recordCapacity, recordQueueCapacity } from './capacity.ts';
import { LOAD_CORE, pinSelf, SERVER_CORE } from './pinned-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 1_000);
const DISPATCH = process.env.BENCH_DISPATCH ?? 'bulk';
if (DISPATCH !== 'bulk' && DISPATCH !== 'single') throw new Error(`BENCH_DISPATCH=${DISPATCH}: use bulk or single`);
const WARMUP_JOBS = Math.max(500, Math.floor(JOBS / 10));
/** The database consumer polls this often when idle; the Redis ones block on BullMQ's marker instead. */
const IDLE_MS = 50;
const QUEUE = 'bench';
const JOB = 'bench.noop';
const DATABASE_BUDGET = 2_000;
const REDIS_RATIO_BUDGET = 0.9;
const CLK_TCK = 100;

type Kind = 'raw' | 'redis' | 'database';
const KINDS: readonly Kind[] = ['raw', 'redis', 'database'];
const LABELS: Record<Kind, string> = {
  raw: '(a) raw BullMQ',
  redis: "(b) Marg's Redis queue",
  database: "(c) Marg's database queue (MariaDB)",
};

/** What a consumer process needs to find its store. */
interface Setup {
  readonly redis: RedisSettings;
  /** BullMQ prefix of the raw baseline: beside Marg's `<prefix>queue`, never shared with it. */
  readonly rawPrefix: string;
  readonly database: ServerDatabaseConfig;
}

interface Pass {
  readonly kind: Kind;
  readonly jobsPerSecond: number;
  readonly dispatchPerSecond: number;
  readonly consumerCpu: number;
  /** Redis's CPU for (a) and (b), MariaDB's for (c). */
  readonly storeCpu: number;
  /** CPU time per job (ms): unlike rates, hardly moved by other load on a shared machine. */
  readonly consumerCpuPerJobMs: number;
  readonly storeCpuPerJobMs: number;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ── The consumer process (core 1) ──

async function consume(kind: Kind, setup: Setup): Promise<void> {
  let stop: () => Promise<void>;
  if (kind === 'raw') {
    // BullMQ as its guide shows it: a Worker with a processor, the same concurrency, defaults otherwise.
    const worker = new Worker(QUEUE, async () => {}, { connection: { ...redisOptions(setup.redis), maxRetriesPerRequest: null }, prefix: setup.rawPrefix, concurrency: CONCURRENCY });
    worker.on('error', (error) => log(`raw worker: ${String(error)}`));
    await worker.waitUntilReady();
    stop = () => worker.close();
  } else {
    const connection = kind === 'database' ? openDatabase(setup) : undefined;
    const driver: QueueBackend = connection ? createDatabaseQueue(connection, { retryAfterMs: 90_000 }) : createRedisQueue(setup.redis, { retryAfterMs: 90_000 });
    await driver.monitor.ping();
    // As `marg work` runs in production: LOG_LEVEL=info (the per-job line is debug), output discarded.
    const logger = createLogger({ logLevel: 'info' }, { destination: pino.destination('/dev/null') });
    const options = { queues: [QUEUE], concurrency: CONCURRENCY, tries: 1, timeoutMs: 60_000, idleMs: IDLE_MS, graceMs: 10_000 };
    const worker = new QueueWorker(driver.source, driver.monitor, { [JOB]: async () => {} }, options, logger);
    void worker.run();
    stop = async () => {
      await worker.stop();
      await driver.close();
      await connection?.close();
    };
  }
  process.once('SIGTERM', () => void stop().finally(() => process.exit(0)));
  process.stdout.write('ready\n');
}

// ── The producer (this process, core 0) ──

class Consumer {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #ready: Promise<void>;
  readonly #stderr: string[] = [];

  constructor(kind: Kind, setup: Setup) {
    this.#child = spawn('taskset', ['-c', String(SERVER_CORE), process.execPath, '--import', 'tsx', 'bench/queue.ts', 'consume', kind], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', BENCH_SETUP: JSON.stringify(setup) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => this.#stderr.push(chunk.toString('utf8')));
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    this.#ready = new Promise((resolve, reject) => {
      this.#child.stdout?.on('data', (chunk: Buffer) => chunk.toString('utf8').includes('ready') && resolve());
      void this.#exited.then(() => reject(new Error(`${kind} consumer exited before it was ready:\n${this.#stderr.join('')}`)));
    });
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  /** CPU seconds used so far (user + system), from /proc: taskset execs node, so the pid is node's. */
  cpuSeconds(): number {
    return processCpuSeconds(this.#child.pid ?? 0);
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Dispatches into one subject's store and tells how many jobs are still there. */
interface Producer {
  dispatch(count: number): Promise<void>;
  pending(): Promise<number>;
  close(): Promise<void>;
}

function rawProducer(setup: Setup): Producer {
  const queue = new Queue(QUEUE, { connection: new Redis(redisOptions(setup.redis)), prefix: setup.rawPrefix });
  queue.on('error', () => {});
  return {
    dispatch: (count) => queue.addBulk(Array.from({ length: count }, () => ({ name: JOB, data: null, opts: { removeOnComplete: true } }))).then(() => {}),
    pending: () => pendingIn(queue),
    async close() {
      const connection = await queue.client;
      await queue.close();
      await connection.quit();
    },
  };
}

/** A chunk is one dispatchMany (bulk), or that many dispatches at once (single; pipelined on one connection). */
function margProducer(driver: QueueBackend, closeStore: () => Promise<void> = async () => {}): Producer {
  const job = normalise(JOB, null, { queue: QUEUE });
  return {
    dispatch: (count) =>
      (DISPATCH === 'bulk' ? driver.producer.dispatchMany(Array.from({ length: count }, () => job)) : Promise.all(Array.from({ length: count }, () => driver.producer.dispatch(job)))).then(() => {}),
    pending: () => driver.monitor.size(),
    async close() {
      await driver.close();
      await closeStore();
    },
  };
}

/** The database driver does not own its connection (the platform does): whoever opens one closes it. */
function openDatabase(setup: Setup) {
  // A benchmark loads both clients: it picks the dialect synchronously (the platform imports only the configured one).
  return createServerConnection('platform', setup.database, { replicaRetryMs: 10_000, onReplicaDown: () => {} }, setup.database.connection === 'mysql' ? mysqlDialect : pgsqlDialect);
}

async function pendingIn(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('wait', 'prioritized', 'paused', 'active', 'delayed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function producerFor(kind: Kind, setup: Setup): Producer {
  if (kind === 'raw') return rawProducer(setup);
  if (kind === 'redis') return margProducer(createRedisQueue(setup.redis, { retryAfterMs: 90_000 }));
  const connection = openDatabase(setup);
  return margProducer(createDatabaseQueue(connection, { retryAfterMs: 90_000 }), () => connection.close());
}

async function dispatchAll(producer: Producer, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += CHUNK) await producer.dispatch(Math.min(CHUNK, count - sent));
}

async function drained(producer: Producer, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await producer.pending()) > 0) {
    if (performance.now() > deadline) throw new Error(`the queue did not drain within ${timeoutMs / 1000} s`);
    await sleep(5);
  }
}

function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the `(comm)` part; utime and stime are fields 14 and 15 of the whole line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** The local MariaDB server's pid, to read its CPU time (NaN in the table when it runs elsewhere). */
function mariadbPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (['mariadbd', 'mysqld'].includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** The store's own CPU seconds: Redis from INFO cpu, MariaDB from /proc. Neither is pinned; both serve producer and consumer. */
async function storeCpuSeconds(kind: Kind, redis: Redis): Promise<number> {
  if (kind === 'database') {
    const pid = mariadbPid();
    return pid === undefined ? NaN : processCpuSeconds(pid);
  }
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function pass(kind: Kind, setup: Setup, producer: Producer, redis: Redis): Promise<Pass> {
  const consumer = new Consumer(kind, setup);
  try {
    await consumer.ready();
    await dispatchAll(producer, WARMUP_JOBS);
    await drained(producer, 120_000);
    const [cpu0, store0] = [consumer.cpuSeconds(), await storeCpuSeconds(kind, redis)];
    const started = performance.now();
    await dispatchAll(producer, JOBS);
    const dispatched = performance.now();
    await drained(producer, 600_000);
    const seconds = (performance.now() - started) / 1000;
    const [cpu1, store1] = [consumer.cpuSeconds(), await storeCpuSeconds(kind, redis)];
    return {
      kind,
      jobsPerSecond: JOBS / seconds,
      dispatchPerSecond: JOBS / ((dispatched - started) / 1000),
      consumerCpu: (cpu1 - cpu0) / seconds,
      storeCpu: (store1 - store0) / seconds,
      consumerCpuPerJobMs: ((cpu1 - cpu0) * 1000) / JOBS,
      storeCpuPerJobMs: ((store1 - store0) * 1000) / JOBS,
    };
  } finally {
    await consumer.stop();
  }
}

const rate = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(0)}%`;

interface Failure {
  readonly kind: Kind;
  readonly round: number;
  readonly message: string;
}

function report(passes: readonly Pass[], failures: readonly Failure[], setup: Setup): string {
  const of = (kind: Kind) => passes.filter((p) => p.kind === kind);
  const best = (kind: Kind) => Math.max(...of(kind).map((p) => p.jobsPerSecond));
  const med = (kind: Kind) => median(of(kind).map((p) => p.jobsPerSecond));
  const has = (kind: Kind) => of(kind).length > 0;
  const lines = [
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${ROUNDS} rounds; ${rate(JOBS)} no-op jobs per pass ` +
      `(after ${rate(WARMUP_JOBS)} warm-up jobs), dispatched in chunks of ${CHUNK} (Marg: ${DISPATCH === "bulk" ? "one dispatchMany a chunk" : "one dispatch() a job"}); consumer concurrency ${CONCURRENCY}; ` +
      `consumers on core ${SERVER_CORE}, producer on core ${LOAD_CORE}; Redis and MariaDB unpinned.`,
    `Redis prefix ${setup.redis.prefix}; MariaDB database ${setup.database.database} (dropped after).`,
    '',
    '| subject | jobs/s end to end (best) | median | dispatch only, jobs/s (median) | consumer CPU (median) | Redis / MariaDB CPU (median) | consumer CPU ms/job (median) | Redis / MariaDB CPU ms/job (median) | passes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...KINDS.filter(has).map((kind) => {
      const ps = of(kind);
      return `| ${LABELS[kind]} | ${rate(best(kind))} | ${rate(med(kind))} | ${rate(median(ps.map((p) => p.dispatchPerSecond)))} | ${pct(median(ps.map((p) => p.consumerCpu)))} | ${pct(median(ps.map((p) => p.storeCpu)))} | ${median(ps.map((p) => p.consumerCpuPerJobMs)).toFixed(3)} | ${median(ps.map((p) => p.storeCpuPerJobMs)).toFixed(3)} | ${ps.map((p) => rate(p.jobsPerSecond)).join(', ')} |`;
    }),
    '',
    '| budget (DESIGN §6) | measured | verdict |',
    '|---|---:|---|',
  ];
  if (has('raw') && has('redis')) {
    // Each round's (b) ran right after its (a): the per-round ratio cancels slow drifts of a shared machine.
    const paired = median(of('redis').map((p, i) => p.jobsPerSecond / (of('raw')[i]?.jobsPerSecond ?? NaN)));
    const ratios = [best('redis') / best('raw'), med('redis') / med('raw'), paired];
    const verdict = ratios.every((r) => r >= REDIS_RATIO_BUDGET) ? 'pass' : ratios.some((r) => r >= REDIS_RATIO_BUDGET) ? 'unclear (noise)' : '**FAIL**';
    lines.push(`| Redis queue ≥ ${pct(REDIS_RATIO_BUDGET)} of raw BullMQ: (b)/(a) | best ${pct(ratios[0]!)}, median ${pct(ratios[1]!)}, per-round median ${pct(paired)} | ${verdict} |`);
    const cpu = (kind: Kind) => median(of(kind).map((p) => p.consumerCpuPerJobMs));
    lines.push(`| (for reading the above) consumer CPU per job, (a)/(b) | ${pct(cpu('raw') / cpu('redis'))} | – |`);
  }
  if (has('database')) {
    const values = [best('database'), med('database')];
    const verdict = values.every((v) => v >= DATABASE_BUDGET) ? 'pass' : values.some((v) => v >= DATABASE_BUDGET) ? 'unclear (noise)' : '**FAIL**';
    lines.push(`| database queue on MariaDB ≥ ${rate(DATABASE_BUDGET)} jobs/s: (c) | best ${rate(values[0]!)}, median ${rate(values[1]!)} | ${verdict} |`);
  }
  if (failures.length > 0) lines.push('', 'Failed passes:', ...failures.map((f) => `- round ${f.round}, ${LABELS[f.kind]}: ${f.message}`));
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (cpus().length < 2) throw new Error(`needs 2 cores: consumers on core ${SERVER_CORE}, producer on core ${LOAD_CORE}`);
  pinSelf();
  const stem = `marg_bench_${randomBytes(4).toString('hex')}`;
  const setup: Setup = {
    redis: { host: '127.0.0.1', port: 6379, username: undefined, password: undefined, db: 0, tls: false, prefix: `${stem}:`, sentinels: [], sentinelService: undefined, sentinelPassword: undefined },
    rawPrefix: `${stem}:raw`,
    database: { connection: 'mysql', host: '127.0.0.1', port: 3306, user: 'root', password: '', database: `${stem}_queue`, poolMax: 10, readHosts: [] },
  };
  const only = process.env.BENCH_ONLY?.split(',');
  const kinds = KINDS.filter((k) => !only || only.includes(k));
  const redis = new Redis(redisOptions(setup.redis));
  redis.on('error', () => {});
  const producers = new Map<Kind, Producer>();
  const cleanUp = async () => {
    await Promise.allSettled([...producers.values()].map((p) => p.close()));
    producers.clear();
    const steps = [() => deleteKeys(redis, stem), () => dropDatabase(setup.database)];
    for (const step of steps) await step().catch((error: unknown) => log(`cleanup: ${String(error)}`));
    await redis.quit().catch(() => redis.disconnect());
  };
  process.once('SIGINT', () => {
    log('SIGINT: removing the benchmark data');
    void cleanUp().finally(() => process.exit(130));
  });
  try {
    if (kinds.includes('database')) {
      await ensureDatabaseExists(setup.database);
      const connection = openDatabase(setup);
      const outcome = await migrateToLatest(connection, queueMigrations);
      await connection.close();
      if (outcome.error) throw outcome.error;
    }
    for (const kind of kinds) producers.set(kind, producerFor(kind, setup));
    log(`${ROUNDS} rounds of ${JOBS} jobs, concurrency ${CONCURRENCY}; node ${process.version}`);
    const passes: Pass[] = [];
    const failures: Failure[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of kinds) {
        let result: Pass;
        try {
          result = await pass(kind, setup, producers.get(kind)!, redis);
        } catch (error) {
          // A failed pass is a result too: recorded, and the run goes on (its leftovers drain in the next warm-up).
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ kind, round, message });
          log(`round ${round}: ${LABELS[kind]}: FAILED: ${message}`);
          continue;
        }
        passes.push(result);
        log(`round ${round}: ${LABELS[kind]}: ${rate(result.jobsPerSecond)} jobs/s (dispatch ${rate(result.dispatchPerSecond)}/s, consumer CPU ${pct(result.consumerCpu)}, ${kind === 'database' ? 'MariaDB' : 'Redis'} CPU ${pct(result.storeCpu)})`);
      }
    }
    process.stdout.write(report(passes, failures, setup));
    recordCapacity(log, () => recordQueueCapacity(passes, 'npm run bench:queue'));
  } finally {
    await cleanUp();
  }
}

/** SCAN + UNLINK of the benchmark's keys only. */
async function deleteKeys(client: Redis, stem: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${stem}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

async function dropDatabase(config: ServerDatabaseConfig): Promise<void> {
  const { createConnection } = await import('mysql2/promise');
  const connection = await createConnection({ host: config.host, port: config.port, user: config.user, password: config.password });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${config.database}\``);
  } finally {
    await connection.end();
  }
}

if (process.argv[2] === 'consume') {
  const kind = process.argv[3] as Kind;
  consume(kind, JSON.parse(process.env.BENCH_SETUP ?? '{}') as Setup).catch((error: unknown) => {
    process.stderr.write(`consumer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
