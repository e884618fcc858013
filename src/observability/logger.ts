import pino, { type Logger } from 'pino';

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
  /** Human-readable lines (pino-pretty, in a worker thread) for a developer's terminal. */
  readonly pretty?: boolean;
  readonly destination?: pino.DestinationStream;
}

/** `config`: anything with a level, e.g. the Config (LOG_LEVEL). */
export function createLogger(config: { readonly logLevel: string }, options: LoggerOptions = {}): Logger {
  const base = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } });
  }
  return pino(base, options.destination);
}
