import pino, { type Logger } from 'pino';
import { terminalStream } from './terminal-log.ts';

export type { Logger };

/**
 * Paths never written to a log line: credentials, session ids, cookies, keys. Belt and braces:
 * no code logs these on purpose (Fastify's request serializer has no headers; the request line
 * has no cookie), and `scripts/check-log-secrets.js` greps everything the test suite logged.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'req.headers["x-xsrf-token"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  '*.headers.cookie',
  '*.headers.authorization',
  'cookie',
  '*.cookie',
  'sessionId',
  '*.sessionId',
  'secret',
  '*.secret',
  'appKey',
  '*.appKey',
  'APP_KEY',
  '*.APP_KEY',
  // ioredis puts the failed command on its errors: for AUTH, that is the password.
  'err.command.args',
];

export interface LoggerOptions {
  /** Human-readable lines, one per entry (pino-pretty), for a developer's terminal. */
  readonly pretty?: boolean;
  readonly destination?: pino.DestinationStream;
}

/** `config`: anything with a level, e.g. the Config (LOG_LEVEL). */
export function createLogger(config: { readonly logLevel: string }, options: LoggerOptions = {}): Logger {
  const base = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (options.pretty) return pino(base, terminalStream(options.destination as NodeJS.WritableStream | undefined));
  return pino(base, options.destination ?? standardOutput());
}

/**
 * Standard output, written asynchronously: a line is queued and written by the event loop, and
 * lines queued meanwhile go out in one write, so a request never waits for a write(2) (pino's
 * default writes each line synchronously; under load that was a syscall per request). Nothing is
 * held back on purpose (no minimum length): a reader sees each line at once. pino writes what is
 * still queued when the process exits.
 */
function standardOutput(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}
