import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from '../../src/cluster/binaries.ts';
import { freePort } from '../../src/cluster/members.ts';
import { requireService, type ServiceStatus } from './services.ts';

/**
 * A private redis-server (or redis-sentinel) on a free loopback port, in its own temp dir,
 * with no persistence: for tests that stop Redis, or need a Sentinel, without touching the
 * machine's shared Redis on 6379.
 *
 *   const binary = await privateRedisAvailable();
 *   describe('...', { skip: binary.skipReason }, () => {
 *     let redis: PrivateRedis | undefined;
 *     before(async () => (redis = await startRedisServer()));
 *     after(() => redis?.stop());
 *   });
 */
export interface PrivateRedis {
  readonly port: number;
  readonly pid: number;
  /** SIGTERM, a bounded wait, then SIGKILL; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: resolves once the process is gone (the temp dir stays until stop()). */
  kill(): Promise<void>;
  /** The last lines the process printed (its log, with `logfile ""`). */
  output(): string;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** Skips loudly (fails with MARG_REQUIRE_SERVICES=1) when redis-server is not installed. */
export function privateRedisAvailable(): Promise<ServiceStatus> {
  return binaryAvailable('redis-server (private instance)', 'redis-server', 'apt-get install redis-server');
}

/** Skips loudly (fails with MARG_REQUIRE_SERVICES=1) when redis-sentinel is not installed. */
export function redisSentinelAvailable(): Promise<ServiceStatus> {
  return binaryAvailable('Redis Sentinel', 'redis-sentinel', 'apt-get install redis-sentinel');
}

/** Starts redis-server on `port` (a free one by default) and resolves once it answers PING. */
export async function startRedisServer(options: { port?: number } = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'marg-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', ''];
  return launchRedis('redis-server', args, port, dir, () => ping(port));
}

/**
 * Starts redis-sentinel monitoring the master at 127.0.0.1:`masterPort` as `service`
 * (quorum 1), and resolves once it names that master.
 */
export async function startRedisSentinel(masterPort: number, service = 'mymaster'): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'marg-sentinel-'));
  // Sentinel rewrites its config file: it must be a writable file of its own.
  const file = join(dir, 'sentinel.conf');
  writeFileSync(
    file,
    [`port ${port}`, 'bind 127.0.0.1', 'daemonize no', `dir ${dir}`, 'logfile ""', `sentinel monitor ${service} 127.0.0.1 ${masterPort} 1`, ''].join('\n'),
  );
  return launchRedis('redis-sentinel', [file], port, dir, async () => {
    const reply = await command(port, `SENTINEL get-master-addr-by-name ${service}`);
    return reply.includes(`\r\n${masterPort}\r\n`);
  });
}

export { freePort };

/** Spawns `name` (redis-server or redis-sentinel) and resolves once `ready` answers true. */
export async function launchRedis(name: string, args: string[], port: number, dir: string, ready: () => Promise<boolean>): Promise<PrivateRedis> {
  const binary = findBinary(name);
  if (!binary) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${name} is not installed`);
  }
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: string) => (output = (output + chunk).slice(-4000));
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      running.delete(child);
      done();
    }),
  );
  let stopping: Promise<void> | undefined;
  const server: PrivateRedis = {
    port,
    pid: child.pid!,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await ready().catch(() => false))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode})`);
      if (Date.now() > deadline) throw new Error(`${name} did not answer on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n--- ${name} output\n${output}`, { cause: error });
  }
}

async function ping(port: number): Promise<boolean> {
  return (await command(port, 'PING')).startsWith('+PONG');
}

/** Sends one inline command and resolves with the first chunk of the reply (enough for PING and short replies). */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => socket.destroy(new Error('no reply within 1000 ms')), 1000);
    socket.setEncoding('utf8');
    socket.once('data', (reply: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.connect(port, '127.0.0.1', () => socket.write(`${line}\r\n`));
  });
}

function binaryAvailable(service: string, name: string, install: string): Promise<ServiceStatus> {
  return requireService(service, async () => {
    if (!findBinary(name)) throw new Error(`${name} not found on PATH or in /usr/sbin (${install})`);
  });
}

// A test process that dies without its after() hooks must not leave servers behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
