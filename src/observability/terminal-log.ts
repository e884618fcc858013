import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

// Loaded (synchronously: createLogger is) only for a pretty logger, i.e. a developer's terminal:
// production and test processes log JSON and never pay for pino-pretty (boot time, issue 19).
const requirePackage = createRequire(import.meta.url);

/** The fields of a request line, shown in its message rather than after it. */
const REQUEST_FIELDS = ['method', 'url', 'host', 'app', 'route', 'userId', 'status', 'ms', 'reqId', 'pid', 'hostname'];

/**
 * Log lines for a developer's terminal (pino-pretty, in this thread so the format can be a
 * function): one line per entry, a request as `GET flow.marg.localhost:8080/ 200 3.1 ms`.
 */
export function terminalStream(output: NodeJS.WritableStream = process.stdout) {
  const pinoPretty = requirePackage('pino-pretty') as typeof PinoPretty;
  return pinoPretty({
    destination: output,
    colorize: 'isTTY' in output && Boolean(output.isTTY),
    translateTime: 'HH:MM:ss',
    singleLine: true,
    ignore: REQUEST_FIELDS.join(','),
    messageFormat: (log, messageKey) => {
      if (log[messageKey] !== 'request') return String(log[messageKey] ?? '');
      const user = log.userId === undefined ? '' : ` user ${String(log.userId)}`;
      return `${String(log.method)} ${String(log.host ?? '')}${String(log.url)} ${String(log.status)} ${String(log.ms)} ms${user}`;
    },
  });
}
