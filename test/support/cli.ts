import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { APPS } from '../../apps/index.ts';
import { writeAppKey } from '../../src/config/app-key.ts';
import { loadConfig } from '../../src/config/config.ts';
import { appLayout } from '../../src/platform/app-registry.ts';
import { envSchema } from '../../src/config/schema.ts';
import { isGuideName } from '../../src/config/guide-names.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { migrateAll } from '../../src/platform/migrate.ts';
import { createServices, type Services } from '../../src/platform/services.ts';
import { captureChildOutput, recordSecret } from './log-capture.ts';

/** The CLI entry point, run exactly as `npx marg` runs it. */
export const MARG_BIN = resolve(import.meta.dirname, '../../bin/marg.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunOptions {
  /** Working directory: where `.env`, `.env.shared` and the default `storage/` are. */
  readonly cwd: string;
  /** Added to a clean environment (the caller's Marg variables are removed first). */
  readonly env?: RawEnv;
  readonly timeoutMs?: number;
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/**
 * The test runner's environment without any variable Marg reads (nor its `_FILE` form, nor a
 * guide name such as APP_ENV), so a developer's shell (APP_KEY, PORT, NODE_ENV=test, ...)
 * cannot change what a child sees.
 */
export function cleanEnv(env: RawEnv = {}): NodeJS.ProcessEnv {
  const marg = new Set(Object.keys(envSchema(appLayout(APPS).databases).properties).flatMap((name) => [name, `${name}_FILE`]));
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !marg.has(name) && !isGuideName(name)));
  const merged: NodeJS.ProcessEnv = { ...base };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/**
 * Opens the same databases a CLI run in `cwd` with `env` would (reading its `.env`), to
 * check what a command did; closed again after `work`.
 */
export async function withCliServices<T>(cwd: string, env: RawEnv, work: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig({ cwd, env: cleanEnv(env), layout: appLayout(APPS) });
  const services = await createServices(config, createLogger({ logLevel: 'silent' }));
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/** A user's resolved permissions and roles as the CLI run in `cwd` would see them (undefined: no such user). */
export function principalOf(cwd: string, email: string) {
  return withCliServices(cwd, {}, async (services) => {
    const user = await services.users.findByEmail(email);
    return user && services.rbac.principal(user.id);
  });
}

/**
 * A temp project folder as `marg key:generate && marg migrate` leave it (`.env` with an
 * APP_KEY, migrated `storage/`), made in-process: each CLI run costs seconds of startup,
 * and those two commands have tests of their own.
 */
export async function migratedProject(): Promise<string> {
  const dir = tempDir();
  writeAppKey(dir);
  await withCliServices(dir, {}, (services) => migrateAll(services, APPS));
  return dir;
}

/** A fresh empty directory, removed by `cleanupCli()`. */
export function tempDir(prefix = 'marg-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function spawnMarg(args: readonly string[], options: RunOptions): ChildProcess {
  const child = spawn(process.execPath, [MARG_BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  captureChildOutput(child.pid, child.stdout, child.stderr);
  return child;
}

/** Runs `marg <args>` as a child process to completion (killed after `timeoutMs`). */
export function runMarg(args: readonly string[], options: RunOptions): Promise<CliResult> {
  const child = spawnMarg(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' (not 'exit') so every byte of output has been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A readable summary for assertion messages. */
export function describeResult(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? ' after timing out' : ''}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

export interface RunningMarg {
  readonly cwd: string;
  readonly port: number;
  /** Milliseconds from spawn to the "Marg is running" banner. */
  readonly readyMs: number;
  /** The seeded administrator, printed only on the first start. */
  readonly admin: { readonly email: string; readonly password: string } | undefined;
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Sends `signal` (SIGINT by default, like Ctrl-C) and waits for the exit (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; killed: boolean }>;
}

export interface StartOptions {
  /** Defaults to a new empty temp dir (removed by `cleanupCli()`). */
  readonly cwd?: string;
  /** Added to the clean environment; PORT=0 and HOST=127.0.0.1 are set unless given here. */
  readonly env?: RawEnv;
  readonly readyTimeoutMs?: number;
}

const READY_END = 'Press Ctrl-C to stop.';

/**
 * Spawns `marg start` (what `npm start` runs) on a free port and waits, bounded, until it
 * printed its banner; then parses the port and the one-time admin password.
 */
export async function startMarg(options: StartOptions = {}): Promise<RunningMarg> {
  const cwd = options.cwd ?? tempDir('marg-start-');
  const started = performance.now();
  const child = spawnMarg(['start'], { cwd, env: { PORT: '0', HOST: '127.0.0.1', ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('close', (code, signal) => done({ code, signal })),
  );

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const readyMs = await new Promise<number>((resolveReady, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.kill('SIGKILL');
      reject(new Error(`marg start ${why}\n--- stdout\n${stdout}--- stderr\n${stderr}`));
    };
    // The banner is one write, but a pipe may deliver it in pieces: wait for its last line.
    const check = () => {
      if (settled || !stdout.includes(READY_END)) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolveReady(performance.now() - started);
    };
    const timer = setTimeout(() => fail(`printed no "${READY_END}" within ${readyTimeoutMs} ms`), readyTimeoutMs);
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => fail(`exited (code ${code}, signal ${signal}) before it was ready`));
  });

  const port = Number(/^Marg is running:[\s\S]*?http:\/\/flow\.[^\s:/]+:(\d+)\//m.exec(stdout)?.[1]);
  if (!Number.isInteger(port) || port <= 0) {
    child.kill('SIGKILL');
    throw new Error(`could not read the port from marg start's output:\n${stdout}`);
  }
  const email = /^\s+email:\s+(\S+)$/m.exec(stdout)?.[1];
  const password = /^\s+password:\s+(\S+)$/m.exec(stdout)?.[1];
  recordSecret(password);

  return {
    cwd,
    port,
    readyMs,
    admin: email && password ? { email, password } : undefined,
    child,
    output: () => ({ stdout, stderr }),
    async stop(signal = 'SIGINT', timeoutMs = 10_000) {
      const begun = performance.now();
      let killed = false;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, ms: performance.now() - begun, killed };
    },
  };
}

/**
 * Kills every child still running (SIGKILL) and removes the temp dirs; call it from
 * `after()` so nothing outlives a failed test.
 */
export async function cleanupCli(): Promise<void> {
  const waits = [...children].map(
    (child) =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        if (!child.kill('SIGKILL')) done();
      }),
  );
  await Promise.all(waits);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Last resort when the test process itself dies (a crash, an uncaught error in a hook).
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
