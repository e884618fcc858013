import { mkdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { findBinary } from './binaries.ts';
import { freePort } from './members.ts';
import { isRunning, logTail, spawnDetached, type RecordedProcess } from './processes.ts';

/**
 * `marg cluster up --own-redis`: a private redis-server on a free loopback port, for a cluster
 * on a machine with no Redis of its own. Its data lives in memory only: `down` ends it.
 */
export async function startOwnRedis(dir: string): Promise<{ port: number; process: RecordedProcess }> {
  const binary = findBinary('redis-server');
  if (!binary) throw new Error('--own-redis needs redis-server (apt-get install redis-server), or point REDIS_HOST/REDIS_PORT at a Redis');
  const home = join(dir, 'redis');
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', home, '--daemonize', 'no'];
  // redis-server rewrites its command line ("redis-server 127.0.0.1:<port>"): the name is what stays.
  const recorded = spawnDetached({ command: binary, args, cwd: home, env: process.env, log: join(dir, 'logs', 'redis.log'), marks: ['redis-server'] });
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (!isRunning(recorded)) throw new Error(`redis-server exited at start: ${logTail(recorded.log)}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 10 s: ${logTail(recorded.log)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, process: recorded };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (reply) => done(reply.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}
