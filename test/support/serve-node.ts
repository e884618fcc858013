import type { ChildProcess } from 'node:child_process';
import type { RawEnv } from '../../src/config/env-files.ts';
import { spawnMarg } from './cli.ts';

/** A `marg serve` child process on a free loopback port. */
export interface ServeNode {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Starts `marg serve` in `cwd`; resolves once it logged "web role ready" (bounded: 60 s, for loaded CI machines). */
export async function startServe(name: string, cwd: string, env: RawEnv): Promise<ServeNode> {
  // One web process (WEB_CONCURRENCY=1) unless asked: these nodes stand for machines of a cluster.
  const child = spawnMarg(['serve'], { cwd, env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', WEB_CONCURRENCY: '1', ...env } });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail('logged no "web role ready" within 60 s'), 60_000);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`marg serve (${name}) ${why}:\n${output}`));
    }
    child.stdout!.on('data', () => {
      const line = output.split('\n').find((l) => l.includes('"web role ready"'));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then(() => fail('exited before it was ready'));
  });
  return {
    name,
    port,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
