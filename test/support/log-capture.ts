import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';

/**
 * "No secret in any log line the suite produced" (issue 5). `scripts/run-tests.js` sets
 * MARG_LOG_CAPTURE to a folder; then every test platform logs at debug level into
 * `<folder>/<pid>.log` (instead of nowhere), CLI children's log lines go to
 * `<folder>/<pid>-child-<child pid>.log`, and the secrets the tests used (passwords, APP_KEYs,
 * cookie values the clients received) are listed in `<folder>/<pid>.secrets`. After the run,
 * `scripts/check-log-secrets.js` greps every log file for every secret.
 * MARG_LOG_CAPTURE unset, empty or `0`: off (logs stay silent, as before).
 */
const folder = process.env.MARG_LOG_CAPTURE;
export const logCaptureFolder: string | undefined = folder && folder !== '0' ? folder : undefined;

let destination: pino.DestinationStream | undefined;

/** Where test loggers write: the capture file (synchronously, so nothing is lost at exit), or undefined (stdout). */
export function captureDestination(): pino.DestinationStream | undefined {
  if (!logCaptureFolder) return undefined;
  destination ??= pino.destination({ dest: join(logCaptureFolder, `${process.pid}.log`), append: true, mkdir: true, sync: true });
  return destination;
}

/** The log level of test platforms that name none: debug while capturing (the most there is to leak), else silent. */
export function defaultTestLogLevel(): string {
  return logCaptureFolder ? 'debug' : 'silent';
}

const recorded = new Set<string>();

/**
 * Notes a value that must never appear in a log line. Values under 8 characters are ignored
 * (they would match by accident: a cookie "1", a password "x").
 */
export function recordSecret(value: string | undefined | null): void {
  if (!logCaptureFolder || !value || value.length < 8 || recorded.has(value)) return;
  recorded.add(value);
  mkdirSync(logCaptureFolder, { recursive: true });
  appendFileSync(join(logCaptureFolder, `${process.pid}.secrets`), `${JSON.stringify(value)}\n`);
}

/** Appends a child process's log lines (JSON lines on stdout; everything on stderr) to the capture. */
export function captureChildOutput(childPid: number | undefined, stdout: NodeJS.ReadableStream | null, stderr: NodeJS.ReadableStream | null): void {
  if (!logCaptureFolder || childPid === undefined) return;
  const file = join(logCaptureFolder, `${process.pid}-child-${childPid}.log`);
  mkdirSync(logCaptureFolder, { recursive: true });
  const follow = (stream: NodeJS.ReadableStream | null, keep: (line: string) => boolean) => {
    let partial = '';
    const write = (lines: string[]) => {
      const kept = lines.filter((l) => l !== '' && keep(l));
      if (kept.length > 0) appendFileSync(file, `${kept.join('\n')}\n`);
    };
    stream?.on('data', (chunk: Buffer | string) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      write(lines);
    });
    stream?.on('end', () => write([partial]));
  };
  // stdout also carries what a command prints on purpose (`key:generate --show`, the first
  // start's admin password): only its log lines (pino's JSON) count as logged.
  follow(stdout, (line) => line.startsWith('{'));
  follow(stderr, () => true);
}
