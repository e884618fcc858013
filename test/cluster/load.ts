import { EventEmitter } from 'node:events';
import autocannon from 'autocannon';

/** One request of the mix a connection cycles through. */
export interface LoadRequest {
  readonly method: 'GET';
  readonly path: string;
  readonly headers: Record<string, string>;
}

/** What happened to the requests of one load run, with the time of every failure. */
export interface LoadReport {
  readonly total: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Responses other than 2xx/3xx, and errors (resets, refused connections, timeouts): when, and what. */
  readonly failures: readonly { readonly at: number; readonly what: string }[];
}

export interface RunningLoad {
  /** Failures so far (a live view). */
  failuresSince(at: number): number;
  count(status: number): number;
  stop(): Promise<LoadReport>;
}

// bench/autocannon.d.ts types the promise form; the instance form (events, stop) is used here.
interface Instance extends EventEmitter {
  stop(): void;
}
type Start = (options: Record<string, unknown>) => Instance;

/**
 * Steady, bounded load through the balancer: `connections` keep-alive connections at `rate`
 * requests per second in total, each cycling through `requests`, until stop() (or `maxSeconds`).
 */
export function startLoad(port: number, requests: readonly LoadRequest[], options: { rate: number; connections: number; maxSeconds: number }): RunningLoad {
  const byStatus: Record<string, number> = {};
  const failures: { at: number; what: string }[] = [];
  let total = 0;
  const instance = (autocannon as unknown as Start)({
    url: `http://127.0.0.1:${port}`,
    connections: options.connections,
    overallRate: options.rate,
    duration: options.maxSeconds,
    timeout: 10,
    requests,
  });
  instance.on('response', (_client: unknown, status: number) => {
    total += 1;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status < 200 || status >= 400) failures.push({ at: Date.now(), what: `HTTP ${status}` });
  });
  instance.on('reqError', (error: NodeJS.ErrnoException) => {
    total += 1;
    failures.push({ at: Date.now(), what: error.code ?? error.message });
  });
  const done = new Promise<void>((resolve) => instance.once('done', () => resolve()));
  return {
    failuresSince: (at) => failures.filter((f) => f.at >= at).length,
    count: (status) => byStatus[status] ?? 0,
    async stop() {
      instance.stop();
      await done;
      return { total, byStatus: { ...byStatus }, failures: [...failures] };
    },
  };
}

/** "3 × HTTP 502, 1 × ECONNRESET" for an assertion message. */
export function describeFailures(report: Pick<LoadReport, 'failures'>): string {
  const counts = new Map<string, number>();
  for (const f of report.failures) counts.set(f.what, (counts.get(f.what) ?? 0) + 1);
  return [...counts].map(([what, n]) => `${n} × ${what}`).join(', ') || 'none';
}
