import type { Logger } from '../observability/logger.ts';
import { withTimeout } from '../support/timeout.ts';
import type { MaintenanceMode, MaintenanceState } from './mode.ts';

/** How long a node trusts what it last read: a `marg down` reaches every node within about this (plus one read). */
export const MAINTENANCE_REFRESH_MS = 1_000;
// A store that hangs must not hold requests: the last known state stands until the next try.
const READ_TIMEOUT_MS = 500;

/**
 * The maintenance state as this process last read it, re-read at most once per `refreshMs`:
 * one cache lookup per second per node instead of one per request. Concurrent requests that
 * find it stale share one read. When the read fails, the last known state is kept (a node
 * that never managed to read treats the apps as up: an outage of the cache must not take
 * every app down with it) and the failure is logged once per failure streak.
 */
export class MaintenanceMonitor {
  #state: MaintenanceState | undefined;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<MaintenanceState | undefined> | undefined;
  #failing = false;

  constructor(
    private readonly mode: MaintenanceMode,
    private readonly logger: Logger,
    private readonly refreshMs = MAINTENANCE_REFRESH_MS,
  ) {}

  current(): Promise<MaintenanceState | undefined> | MaintenanceState | undefined {
    if (performance.now() - this.#readAt < this.refreshMs) return this.#state;
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(): Promise<MaintenanceState | undefined> {
    try {
      this.#state = await withTimeout(this.mode.read(), READ_TIMEOUT_MS);
      if (this.#failing) this.logger.info('maintenance state readable again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.logger.error({ err: error }, 'cannot read the maintenance state; keeping the last known one');
      this.#failing = true;
    }
    this.#readAt = performance.now();
    return this.#state;
  }
}
