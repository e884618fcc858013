import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon, { type Result } from 'autocannon';
import type { PinnedProcess } from './pinned-process.ts';

/** One kind of request the benchmark repeats. */
export interface Target {
  readonly label: string;
  readonly port: number;
  readonly method: 'GET' | 'HEAD';
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Every response must have this status, or the pass fails. */
  readonly status: number;
}

export interface LoadSettings {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
}

/** How a pass went, with the CPU each side used (to see who was the bottleneck, and the noise). */
export interface PassResult {
  readonly requestsPerSecond: number;
  readonly total: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Share of one core the server used during the pass (1 = its whole core). */
  readonly serverCpu: number;
  /** Share of one core this load generator used. */
  readonly loadCpu: number;
  /** Requests per second of server CPU: what one core would do if the server had it to itself. */
  readonly perCoreRps: number;
}

/** The paced pass also reports latency from the actual send, to tell a late load generator from a slow server. */
export interface PacedResult extends PassResult {
  readonly rate: number;
  readonly lateSendP99Ms: number;
  readonly sentToDoneP99Ms: number;
}

/** Closed loop, as fast as the server answers: `connections` keep-alive connections, one request in flight each. */
export async function maxPass(target: Target, server: PinnedProcess, settings: LoadSettings): Promise<PassResult> {
  const options = {
    url: `http://127.0.0.1:${target.port}${target.path}`,
    method: target.method,
    headers: target.headers,
    connections: settings.connections,
    pipelining: 1,
    timeout: 10,
  };
  if (settings.warmupSeconds > 0) checkStatuses(target, await autocannon({ ...options, duration: settings.warmupSeconds }));
  const measure = startCpuMeasure(server);
  const result = await autocannon({ ...options, duration: settings.seconds });
  checkStatuses(target, result);
  const total = result.latency.totalCount;
  return {
    requestsPerSecond: total / result.duration,
    total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    ...measure(total),
  };
}

/**
 * Open loop at a fixed rate, evenly paced (autocannon's rate limit fires each second's
 * quota in a burst, which measures full-load latency instead). Latency counts from when a
 * request was due, so a server that falls behind is charged for the queue it builds.
 */
export async function pacedPass(target: Target, server: PinnedProcess, settings: LoadSettings, rate: number): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: settings.connections });
  const latencies: number[] = [];
  const lateSends: number[] = [];
  const sentToDone: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  const measure = startCpuMeasure(server);
  const started = performance.now();
  const end = started + settings.seconds * 1000;
  const intervalMs = 1000 / rate;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();

  const send = (dueAt: number) => {
    const sentAt = performance.now();
    lateSends.push(sentAt - dueAt);
    const done = new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: target.port, method: target.method, path: target.path, headers: target.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const doneAt = performance.now();
          latencies.push(doneAt - dueAt);
          sentToDone.push(doneAt - sentAt);
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          resolve();
        });
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end();
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Everything due by now goes out; the timer wakes about every millisecond.
      while (sent < rate * settings.seconds && started + sent * intervalMs <= Math.min(now, end)) {
        send(started + sent * intervalMs);
        sent += 1;
      }
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();

  const wrong = [...statuses.entries()].filter(([status]) => status !== target.status);
  if (errors > 0 || wrong.length > 0) throw new Error(`${target.label} (paced): ${errors} errors, unexpected statuses ${JSON.stringify(wrong)}`);
  latencies.sort((a, b) => a - b);
  lateSends.sort((a, b) => a - b);
  sentToDone.sort((a, b) => a - b);
  return {
    rate,
    requestsPerSecond: latencies.length / elapsed,
    total: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    lateSendP99Ms: percentile(lateSends, 99),
    sentToDoneP99Ms: percentile(sentToDone, 99),
    ...measure(latencies.length),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function startCpuMeasure(server: PinnedProcess): (requests: number) => { serverCpu: number; loadCpu: number; perCoreRps: number } {
  const wallStart = performance.now();
  const serverStart = server.cpuSeconds();
  const loadStart = process.cpuUsage();
  return (requests) => {
    const wall = (performance.now() - wallStart) / 1000;
    const load = process.cpuUsage(loadStart);
    const serverSeconds = server.cpuSeconds() - serverStart;
    return { serverCpu: serverSeconds / wall, loadCpu: (load.user + load.system) / 1e6 / wall, perCoreRps: requests / serverSeconds };
  };
}

function checkStatuses(target: Target, result: Result): void {
  const wrong = Object.entries(result.statusCodeStats).filter(([status]) => Number(status) !== target.status);
  if (result.errors > 0 || wrong.length > 0) {
    throw new Error(`${target.label}: ${result.errors} errors (${result.timeouts} timeouts), unexpected statuses ${JSON.stringify(wrong)}`);
  }
}
