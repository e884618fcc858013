import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface CommandSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to this process's environment (passwords go here, never on the command line). */
  readonly env?: Record<string, string>;
}

/** The command's stdout as a stream that fails, with its stderr, when the command does. */
export function commandOutput(spec: CommandSpec): Readable {
  const out = new PassThrough();
  const child = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  child.stdout.pipe(out, { end: false });
  child.once('error', (error) => out.destroy(new Error(`${spec.command}: ${error.message}`)));
  // 'close' comes after stdout ended, so every byte has been passed on.
  child.once('close', (code, signal) => {
    if (code === 0) out.end();
    else out.destroy(new Error(`${spec.command} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no message'}`));
  });
  // A reader that gives up (a failed backup) stops the command.
  out.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return out;
}

/** Feeds `input` to the command's stdin; resolves when it exits 0, else fails with its stderr. */
export async function commandInput(spec: CommandSpec, input: Readable): Promise<void> {
  const child = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`${spec.command}: ${error.message}`)));
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${spec.command} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no message'}`))));
  });
  const fed = pipeline(input, child.stdin).catch((error: unknown) => {
    child.kill('SIGTERM');
    throw error;
  });
  await Promise.all([fed, exited]);
}

/** The first of `names` found on PATH (mariadb-dump before mysqldump), or the first name. */
export function firstOnPath(names: readonly string[], path = process.env.PATH ?? ''): string {
  for (const name of names) {
    for (const dir of path.split(':')) {
      if (dir && existsExecutable(`${dir}/${name}`)) return name;
    }
  }
  return names[0]!;
}

function existsExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
