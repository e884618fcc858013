import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/**
 * A process the cluster started, as recorded in its state file. `down` and `roll` act on a pid
 * only while it is still this process: same start time, and a command line holding `marks`
 * (a pid reused by another program after a reboot or a crash is left alone).
 */
export interface RecordedProcess {
  readonly pid: number;
  /** Kernel start time (/proc/<pid>/stat field 22), or `ps -o lstart=` where there is no /proc. */
  readonly startTime: string;
  /** Strings its command line must contain (the binary, the role, the config file). */
  readonly marks: string[];
  /** What asks it to stop gracefully: SIGTERM for marg, SIGUSR1 (soft stop) for HAProxy, SIGQUIT for nginx. */
  readonly stopSignal: StopSignal;
  readonly log: string;
}

export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: string;
  readonly marks: readonly string[];
  readonly stopSignal?: StopSignal;
}

export type StopSignal = 'SIGTERM' | 'SIGUSR1' | 'SIGQUIT';

/**
 * Starts a process that outlives this command: its own session (no terminal hang-up reaches
 * it), output appended to `log`, not waited for. `status`, `roll` and `down` find it again
 * through the state file.
 */
export function spawnDetached(spec: SpawnSpec): RecordedProcess {
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command} (see ${spec.log})`);
    child.on('error', () => {});
    child.unref();
    const startTime = processStartTime(child.pid);
    if (startTime === undefined) throw new Error(`${spec.command} exited at once (see ${spec.log})`);
    return { pid: child.pid, startTime, marks: [...spec.marks], stopSignal: spec.stopSignal ?? 'SIGTERM', log: spec.log };
  } finally {
    closeSync(fd);
  }
}

/**
 * True while some process has this pid (signal 0 checks without sending anything). EPERM means
 * it exists but belongs to another user: alive. Says nothing about which program it is: see isRunning.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while `recorded.pid` is still the process that was recorded (and not a zombie). */
export function isRunning(recorded: RecordedProcess): boolean {
  const info = inspect(recorded.pid);
  if (!info || info.zombie) return false;
  return info.startTime === recorded.startTime && recorded.marks.every((mark) => info.commandLine.includes(mark));
}

/** Sends `signal` only if the pid is still the recorded process; false when it was not. */
export function signalRecorded(recorded: RecordedProcess, signal: NodeJS.Signals): boolean {
  if (!isRunning(recorded)) return false;
  try {
    process.kill(recorded.pid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface StopOutcome {
  /** `graceful`: exited after its stop signal; `killed`: SIGKILL after `timeoutMs`; `gone`: was not running. */
  readonly how: 'graceful' | 'killed' | 'gone';
  readonly ms: number;
}

/** An outcome for an operator: `stopped in 3.0 s`, `killed after its stop timeout`, `was not running`. */
export function describeStop(outcome: StopOutcome): string {
  if (outcome.how === 'graceful') return `stopped in ${(outcome.ms / 1000).toFixed(1)} s`;
  return outcome.how === 'killed' ? 'killed after its stop timeout' : 'was not running';
}

/** Graceful stop signal, a bounded wait, then SIGKILL; never touches a pid that is no longer ours. */
export async function stopRecorded(recorded: RecordedProcess, timeoutMs: number): Promise<StopOutcome> {
  const started = Date.now();
  if (!signalRecorded(recorded, recorded.stopSignal)) return { how: 'gone', ms: 0 };
  if (await waitForExit(recorded, timeoutMs)) return { how: 'graceful', ms: Date.now() - started };
  signalRecorded(recorded, 'SIGKILL');
  await waitForExit(recorded, 5_000);
  return { how: 'killed', ms: Date.now() - started };
}

/** Polls until the recorded process is gone; false if it still runs after `timeoutMs`. */
export async function waitForExit(recorded: RecordedProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(recorded)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

interface ProcessInfo {
  readonly startTime: string;
  readonly commandLine: string;
  readonly zombie: boolean;
}

const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

export function processStartTime(pid: number): string | undefined {
  return inspect(pid)?.startTime;
}

function inspect(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  return HAS_PROC ? inspectProc(pid) : inspectPs(pid);
}

function inspectProc(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    return { startTime: fields[19]!, commandLine, zombie: fields[0] === 'Z' };
  } catch {
    return undefined;
  }
}

/** macOS and the BSDs: `ps` gives the start time to the second and the command line. */
function inspectPs(pid: number): ProcessInfo | undefined {
  try {
    const line = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const match = /^(\S+)\s+(\S+\s+\S+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/.exec(line);
    if (!match) return undefined;
    return { startTime: match[2]!, commandLine: match[3]!, zombie: match[1]!.startsWith('Z') };
  } catch {
    return undefined;
  }
}

/** The last lines of a log file, for an error message. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
