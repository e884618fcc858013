import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { nodeName } from '../scheduler/node-name.ts';
import { MARG_VERSION } from '../support/version.ts';
import type { Logger } from '../observability/logger.ts';
import { realtimeSnapshot } from '../observability/metrics.ts';
import type { QueueMonitor } from '../queue/contract.ts';
import { minuteOf, NODE_FORGET_MS, WINDOW_MINUTES, type TelemetryStore } from './contract.ts';
import { telemetry, type TelemetryRecorder } from './recorder.ts';

/** How often a node beats and writes its minute, unless told otherwise. */
export const REPORT_INTERVAL_MS = 5_000;

export interface ReporterOptions {
  readonly store: TelemetryStore;
  readonly roles: readonly string[];
  readonly logger: Logger;
  /** Worker nodes sample the queues' backlog into their minute. */
  readonly queues?: Pick<QueueMonitor, 'stats'>;
  readonly intervalMs?: number;
  readonly node?: string;
  /** MARG_NODE_NAME, when the deployment names its nodes. */
  readonly name?: string | undefined;
  readonly recorder?: TelemetryRecorder;
  readonly clock?: () => number;
}

export interface RunningReporter {
  readonly node: string;
  /** One beat and write now (tests; the timer calls it too). */
  flush(): Promise<void>;
  /** Stops the timer after a last write. */
  stop(): Promise<void>;
}

/** Every few seconds: the heartbeat, this node's open minutes, and (once a minute) pruning past the window. */
export function startTelemetryReporter(options: ReporterOptions): RunningReporter {
  const { store, logger } = options;
  const recorder = options.recorder ?? telemetry;
  const clock = options.clock ?? Date.now;
  const node = options.node ?? nodeName();
  const startedAt = clock();
  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  let lastPrune = -1;
  let messagesSent = realtimeSnapshot()?.messagesOut ?? 0;
  let running: Promise<void> | undefined;

  const once = async () => {
    const rssBytes = process.memoryUsage.rss();
    const loopDelayMs = Math.round(loop.percentile(99) / 1e6);
    loop.reset();
    recorder.gauges(rssBytes, loopDelayMs);
    const realtime = realtimeSnapshot();
    if (realtime) {
      recorder.realtimeMessages(Math.max(0, realtime.messagesOut - messagesSent));
      messagesSent = realtime.messagesOut;
    }
    if (options.queues) {
      for (const q of await options.queues.stats().catch(() => [])) recorder.backlog(q.queue, q.waiting + q.delayed);
    }
    const samples = recorder.take();
    const now = clock();
    try {
      await store.report({ node, ...(options.name ? { name: options.name } : {}), roles: options.roles, version: MARG_VERSION, startedAt, beatAt: now, rssBytes, loopDelayMs, ...(realtime ? { realtime: { connections: realtime.connections, subscriptions: realtime.subscriptions } } : {}) }, samples);
      const minute = minuteOf(now);
      if (minute !== lastPrune) {
        await store.prune(minute - WINDOW_MINUTES + 1, now - NODE_FORGET_MS);
        lastPrune = minute;
      }
    } catch (error) {
      recorder.giveBack(samples);
      logger.warn({ err: error, driver: store.driver }, 'telemetry: could not write to the store');
    }
  };
  const flush = () => (running ??= once().finally(() => (running = undefined)));
  const timer = setInterval(() => void flush(), options.intervalMs ?? REPORT_INTERVAL_MS);
  timer.unref();
  let stopping: Promise<void> | undefined;
  return {
    node,
    flush,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(timer);
        await running;
        await flush();
        loop.disable();
      })()),
  };
}
