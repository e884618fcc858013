import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../observability/logger.ts';

// `marg serve` with WEB_CONCURRENCY > 1: one supervisor and N web processes sharing the port
// through node:cluster (the supervisor accepts and hands connections round-robin), like PHP-FPM's
// children. The supervisor opens no database and serves nothing: it forks, restarts a process
// that dies, and stops them all on SIGTERM/SIGINT. What must happen once per node is not done by
// the web processes twice: `marg serve` applies no migrations (it only checks them), and only
// process 1 serves METRICS_PORT. A process whose IPC channel to the supervisor closes (the
// supervisor was killed) exits by itself (node:cluster), so none is left orphaned.

/** The environment variable that gives each web process its number, 1..N (a replacement keeps the number of the one it replaces). */
const CHILD_VARIABLE = 'MARG_WEB_PROCESS';

/** The message a web process sends its supervisor once it serves. */
interface ReadyMessage {
  readonly type: 'marg:web-ready';
  readonly port: number;
}

/** This process's number under a `marg serve` supervisor, or undefined when it runs alone. */
export function webProcessNumber(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[CHILD_VARIABLE]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Tells the supervisor (if any) that this web process serves on `port`. */
export function reportWebReady(port: number): void {
  if (cluster.isWorker) process.send?.({ type: 'marg:web-ready', port } satisfies ReadyMessage);
}

export interface SupervisorOptions {
  readonly processes: number;
  readonly logger: Logger;
  /** How long a stopping web process may take (its drain and its close) before it is killed. */
  readonly stopTimeoutMs: number;
  /** A process that dies this soon after it became ready is restarted only after `restartDelayMs`: no busy crash loop. */
  readonly quickDeathMs?: number;
  readonly restartDelayMs?: number;
}

/**
 * Runs the web processes until SIGTERM/SIGINT; resolves with the exit code for the supervisor.
 * Process 1 starts first (the port serves as soon as it is ready), the others when it is. A
 * process that exits before it ever became ready (a config or migration error) stops everything
 * with its exit code: restarting it would only fail again.
 */
export function superviseWebProcesses(options: SupervisorOptions): Promise<number> {
  const { processes, logger } = options;
  const quickDeathMs = options.quickDeathMs ?? 5_000;
  const restartDelayMs = options.restartDelayMs ?? 1_000;
  const numbers = new Map<Worker, number>();
  const readyAt = new Map<Worker, number>();
  let everyoneReady = false;
  let stopping = false;
  let exitCode = 0;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const fork = (n: number) => {
    const worker = cluster.fork({ [CHILD_VARIABLE]: String(n) });
    numbers.set(worker, n);
    worker.on('message', (message: unknown) => {
      if (!isReady(message)) return;
      const first = readyAt.size === 0 && !everyoneReady;
      readyAt.set(worker, Date.now());
      // Process 1 starts alone: a configuration that cannot start (a server down, migrations
      // pending) fails once, with one message; once it serves, the others start.
      if (first && !stopping) for (let other = 2; other <= processes; other++) fork(other);
      if (everyoneReady) {
        logger.info({ process: n, pid: worker.process.pid, port: message.port }, 'web process replaced');
      } else if (readyAt.size === processes) {
        everyoneReady = true;
        logger.info({ port: message.port, processes, pids: Object.fromEntries([...numbers].map(([w, number]) => [number, w.process.pid])) }, 'web processes ready');
      }
    });
    worker.once('exit', (code, signal) => {
      const wasReadyAt = readyAt.get(worker);
      numbers.delete(worker);
      readyAt.delete(worker);
      if (stopping) {
        if (numbers.size === 0) resolveDone(exitCode);
        return;
      }
      if (wasReadyAt === undefined) {
        // It never served: the same start would fail again. Stop the others and exit like it did.
        logger.error({ process: n, pid: worker.process.pid, code, signal }, 'a web process exited before it was ready; stopping');
        stop(code && code > 0 ? code : 1);
        return;
      }
      const delay = Date.now() - wasReadyAt < quickDeathMs ? restartDelayMs : 0;
      logger.warn({ process: n, pid: worker.process.pid, code, signal, restartInMs: delay }, 'web process died; starting a new one');
      setTimeout(() => {
        if (!stopping) fork(n);
      }, delay);
    });
  };

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    if (numbers.size === 0) return resolveDone(exitCode);
    for (const worker of numbers.keys()) worker.process.kill('SIGTERM');
    // A process that does not finish its drain in time is killed: the supervisor never hangs.
    setTimeout(() => {
      for (const worker of numbers.keys()) worker.process.kill('SIGKILL');
    }, options.stopTimeoutMs).unref();
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    logger.info({ signal, processes: numbers.size }, 'draining the web processes');
    stop(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  fork(1);
  return done.finally(() => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  });
}

function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'marg:web-ready' && typeof (message as { port?: unknown }).port === 'number';
}
