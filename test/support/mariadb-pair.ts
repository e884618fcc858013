import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { requireService, type ServiceStatus } from './services.ts';

/**
 * A private MariaDB primary and binlog replica on free loopback ports, each in its own temp
 * data dir, for the read-replica tests. It never touches the machine's own MariaDB (3306):
 * both servers are started here, listen on 127.0.0.1 only and are removed by stop().
 *
 *   const mariadb = await mariaDbPairAvailable();
 *   describe('replicas', { skip: mariadb.skipReason }, () => {
 *     before(async () => (pair = await startMariaDbPair()));
 *     after(() => pair?.stop());
 *   });
 */
export interface MariaDbPair {
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** Runs one statement on a server as root (a fresh connection: works across replica restarts). */
  query<T = RowDataPacket[]>(server: 'primary' | 'replica', sql: string, params?: unknown[]): Promise<T>;
  /**
   * A write on the replica alone (a test that makes the replica's copy differ): kept out of the
   * replica's binlog, since gtid_strict_mode (deploy/mysql) rightly stops replication when a
   * replica's own GTIDs collide with the primary's.
   */
  writeOnReplicaOnly(sql: string, params?: unknown[]): Promise<void>;
  /** Waits (bounded) until the replica has applied everything the primary has written so far. */
  waitForReplica(timeoutMs?: number): Promise<void>;
  /** STOP SLAVE: the replica keeps answering but lags behind the primary. */
  pauseReplication(): Promise<void>;
  /** START SLAVE, and wait until both replication threads run again. */
  resumeReplication(): Promise<void>;
  /** Shuts the replica's server down (connections to it are refused until startReplica()). */
  stopReplica(): Promise<void>;
  /** Starts the replica's server again on the same port and data; replication resumes by itself. */
  startReplica(): Promise<void>;
  /** SIGKILLs the primary, as a crash: resolves once the process is gone. */
  killPrimary(): Promise<void>;
  /** Stops both servers (SIGTERM, bounded wait, SIGKILL) and removes their data. Safe to call twice. */
  stop(): Promise<void>;
}

const BINARIES = ['mariadb-install-db', 'mariadbd'] as const;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/**
 * Each server runs deploy/mysql/<role>.cnf as shipped (GTID, binlog, semi-sync, read-only
 * replica); the command line overrides only where it lives (datadir, port, socket, logs) and,
 * below, what makes it small and fast: nothing here has to survive a power cut.
 */
const CONFIG_FILES = { primary: resolve(import.meta.dirname, '../../deploy/mysql/primary.cnf'), replica: resolve(import.meta.dirname, '../../deploy/mysql/replica.cnf') };
const SERVER_OPTIONS = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-doublewrite=0',
  '--sync-binlog=0',
  '--skip-performance-schema',
  '--max-connections=200',
];

/** Skips loudly (or fails with MARG_REQUIRE_SERVICES=1) when the MariaDB server binaries are not installed. */
export function mariaDbPairAvailable(): Promise<ServiceStatus> {
  return requireService(
    'MariaDB primary/replica pair',
    async () => {
      const missing = BINARIES.filter((b) => findBinary(b) === undefined);
      if (missing.length > 0) throw new Error(`${missing.join(' and ')} not found on PATH or in /usr/sbin (apt-get install mariadb-server)`);
    },
    { timeoutMs: 5_000 },
  );
}

export async function startMariaDbPair(): Promise<MariaDbPair> {
  const root = mkdtempSync(join(tmpdir(), 'marg-mariadb-'));
  const servers: Server[] = [];
  const pair = new Pair(root, servers);
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort(primaryPort);
    // Both data dirs are initialised at once: that is most of the start-up time. allSettled, so
    // that a failure does not remove the temp dir while the other initialisation still writes to it.
    const initialised = await Promise.allSettled([
      initialise(join(root, 'primary'), primaryPort, CONFIG_FILES.primary),
      initialise(join(root, 'replica'), replicaPort, CONFIG_FILES.replica),
    ]);
    for (const result of initialised) {
      if (result.status === 'rejected') throw result.reason;
      servers.push(result.value);
    }
    await Promise.all(servers.map((s) => s.start()));
    await adminQuery(replicaPort, 'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1', [
      '127.0.0.1',
      primaryPort,
      'root',
      '',
    ]);
    await pair.resumeReplication();
    return pair;
  } catch (error) {
    await pair.stop();
    throw error;
  }
}

class Pair implements MariaDbPair {
  #stopped: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly servers: Server[],
  ) {}

  get primaryPort(): number {
    return this.servers[0]!.port;
  }
  get replicaPort(): number {
    return this.servers[1]!.port;
  }

  query<T = RowDataPacket[]>(server: 'primary' | 'replica', sql: string, params: unknown[] = []): Promise<T> {
    return adminQuery<T>(server === 'primary' ? this.primaryPort : this.replicaPort, sql, params);
  }

  async writeOnReplicaOnly(sql: string, params: unknown[] = []): Promise<void> {
    const connection = await createConnection({ host: '127.0.0.1', port: this.replicaPort, user: 'root', password: '', connectTimeout: 2_000 });
    try {
      await connection.query('SET SESSION sql_log_bin = 0');
      await connection.query(sql, params);
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
  }

  async waitForReplica(timeoutMs = 15_000): Promise<void> {
    const [{ pos }] = (await this.query('primary', 'SELECT @@gtid_binlog_pos AS pos')) as [{ pos: string }];
    const [{ done }] = (await this.query('replica', 'SELECT MASTER_GTID_WAIT(?, ?) AS done', [pos, timeoutMs / 1000])) as [{ done: number }];
    if (Number(done) !== 0) throw new Error(`replica did not reach the primary's position ${pos} within ${timeoutMs} ms: ${JSON.stringify(await this.#slaveStatus())}`);
  }

  async pauseReplication(): Promise<void> {
    await this.query('replica', 'STOP SLAVE');
  }

  async resumeReplication(): Promise<void> {
    await this.query('replica', 'START SLAVE');
    await until('replication threads running', READY_TIMEOUT_MS, async () => {
      const status = await this.#slaveStatus();
      if (status.Last_IO_Error || status.Last_SQL_Error) throw new Error(`replication failed: ${status.Last_IO_Error || status.Last_SQL_Error}`);
      return status.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes';
    });
  }

  async killPrimary(): Promise<void> {
    await this.servers[0]!.kill();
  }

  async stopReplica(): Promise<void> {
    await this.servers[1]!.stop();
  }

  async startReplica(): Promise<void> {
    await this.servers[1]!.start();
    await until('replication threads running after restart', READY_TIMEOUT_MS, async () => {
      const status = await this.#slaveStatus();
      return status.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes';
    });
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await Promise.allSettled(this.servers.map((s) => s.stop()));
      rmSync(this.root, { recursive: true, force: true });
    })();
    return this.#stopped;
  }

  async #slaveStatus(): Promise<Record<string, string>> {
    const rows = await this.query<Record<string, string>[]>('replica', 'SHOW SLAVE STATUS');
    return rows[0] ?? {};
  }
}

/** One mariadbd on its own data dir and port. */
class Server {
  #process: ChildProcess | undefined;
  #exited: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
    private readonly configFile: string,
  ) {}

  async start(): Promise<void> {
    if (this.#process) return;
    const child = spawn(
      findBinary('mariadbd')!,
      [
        // First, as mariadbd requires; every later option overrides the file's.
        `--defaults-file=${this.configFile}`,
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'sock')}`,
        `--pid-file=${join(this.dir, 'pid')}`,
        `--log-error=${this.#errorLog}`,
        `--tmpdir=${join(this.dir, 'tmp')}`,
        '--user=root',
        ...SERVER_OPTIONS,
      ],
      { stdio: 'ignore' },
    );
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    running.add(child);
    void this.#exited.then(() => {
      running.delete(child);
      if (this.#process === child) this.#process = undefined;
    });
    await until(`mariadbd on 127.0.0.1:${this.port} to answer`, READY_TIMEOUT_MS, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode}): ${this.#errorTail()}`);
      try {
        await adminQuery(this.port, 'SELECT 1');
        return true;
      } catch {
        return false;
      }
    }).catch(async (error: Error) => {
      await this.stop();
      throw new Error(`${error.message}\n${this.#errorTail()}`);
    });
  }

  async kill(): Promise<void> {
    const child = this.#process;
    const exited = this.#exited;
    if (!child || !exited) return;
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.#process;
    const exited = this.#exited;
    if (!child || !exited) return;
    child.kill('SIGTERM');
    if (!(await settlesWithin(exited, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  get #errorLog(): string {
    return join(this.dir, 'error.log');
  }

  #errorTail(): string {
    return existsSync(this.#errorLog) ? readFileSync(this.#errorLog, 'utf8').split('\n').slice(-15).join('\n') : '(no error log)';
  }
}

/** A fresh data dir with root@127.0.0.1 and no password. */
async function initialise(dir: string, port: number, configFile: string): Promise<Server> {
  // A tmpdir of its own: a starting mariadbd deletes every `#sql*` temp table in its tmpdir, which
  // in a shared /tmp would pull files from under the other server (or the machine's own MariaDB).
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const args = [
    '--no-defaults',
    `--datadir=${join(dir, 'data')}`,
    `--tmpdir=${join(dir, 'tmp')}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--user=root',
    '--innodb-log-file-size=8M',
    '--innodb-buffer-pool-size=32M',
  ];
  const output: Buffer[] = [];
  const child = spawn(findBinary('mariadb-install-db')!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c: Buffer) => output.push(c));
  child.stderr.on('data', (c: Buffer) => output.push(c));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mariadb-install-db did not finish within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  if (code !== 0) throw new Error(`mariadb-install-db failed (${code}): ${Buffer.concat(output).toString('utf8').slice(-2000)}`);
  return new Server(dir, port, configFile);
}

async function adminQuery<T>(port: number, sql: string, params: unknown[] = []): Promise<T> {
  const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', password: '', connectTimeout: 2_000 });
  try {
    const [rows] = await connection.query(sql, params);
    return rows as T;
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/** Polls `check` every 100 ms until it is true; throws after `timeoutMs` or when `check` throws. */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A loopback port that is free now (closed again at once: mariadbd binds it a second or two
 * later). Taken below Linux's ephemeral range (32768+), so that the outgoing connections and
 * port-0 listeners of tests running meanwhile cannot take it in that gap.
 */
async function freePort(taken?: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (port !== taken && (await canListen(port))) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** mariadbd lives in /usr/sbin, which is not on every PATH. */
function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

// A test process that dies without its after() hooks must not leave servers behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
