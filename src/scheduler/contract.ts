import type { Services } from '../platform/services.ts';

/** Which tick a run belongs to, and where it runs. */
export interface TaskRun {
  /** The scheduled time of this tick (a manual `schedule:run` gets the time it started). */
  readonly tick: Date;
  /** `hostname:pid` of the scheduler running it. */
  readonly node: string;
}

/** One cron task (Laravel's `$schedule->job(...)->daily()->onOneServer()`). */
export interface ScheduledTask {
  /** Unique, `app:what` (`links:clicks-rollup`). */
  readonly name: string;
  readonly description: string;
  /** croner pattern; 5 fields, or 6 with seconds first. */
  readonly cron: string;
  /**
   * IANA time zone the pattern is read in; default UTC, so every node of a cluster agrees on
   * the ticks whatever its own zone.
   */
  readonly timezone?: string;
  /** Only one scheduler in the cluster runs each tick (a lock per task and tick). Default true. */
  readonly onOneServer?: boolean;
  /** Skip a tick while the previous run is still going, on any node. Default true. */
  readonly withoutOverlapping?: boolean;
  /**
   * After this long the run's signal is aborted and the overlap lock lapses, so a hung run
   * cannot block the task for ever. Default one hour.
   */
  readonly maxRuntimeMs?: number;
  /** `signal` aborts at `maxRuntimeMs` or when the scheduler stops and its grace has passed. */
  run(services: Services, signal: AbortSignal, run: TaskRun): Promise<void>;
}
