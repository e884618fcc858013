import type { Services } from '../platform/services.ts';

/** One cron task (Laravel's `$schedule->job(...)->daily()->onOneServer()`). */
export interface ScheduledTask {
  /** Unique, `app:what` (`links:clicks-rollup`). */
  readonly name: string;
  readonly description: string;
  /** croner pattern; 5 fields, or 6 with seconds first. */
  readonly cron: string;
  /** Only one scheduler in the cluster runs each tick (a lock per task and tick). Default true. */
  readonly onOneServer?: boolean;
  /** Skip a tick while the previous run is still going, on any node. Default true. */
  readonly withoutOverlapping?: boolean;
  run(services: Services, signal: AbortSignal): Promise<void>;
}
