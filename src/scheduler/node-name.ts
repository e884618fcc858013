import { hostname } from 'node:os';

/** This process as schedule runs and telemetry name it: `<host>:<pid>` (its own module: the telemetry reporter needs it without croner). */
export function nodeName(): string {
  return `${hostname()}:${process.pid}`;
}
