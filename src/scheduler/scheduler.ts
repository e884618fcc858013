import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { Services } from '../platform/services.ts';
import type { ScheduledTask } from './contract.ts';
import { ScheduleRuns } from './runs.ts';
import type { ScheduleDatabase } from './schema.ts';
import { nodeName } from './node-name.ts';

/**
 * How long a tick's lock is kept (never released): a scheduler whose clock or event loop runs
 * late must still find the tick taken, as Laravel's `onOneServer` keeps its mutex for an hour.
 * The unique (task, tick) row in `schedule_runs` backs it up for good.
 */
export const TICK_LOCK_TTL_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_RUNTIME_MS = 60 * 60 * 1000;
const DEFAULT_STOP_GRACE_MS = 30_000;
/** After the grace, aborted tasks get this long to notice their signal. */
const ABORT_WAIT_MS = 5_000;

/**
 * What became of one tick on this node: it ran (`ok`/`failed`), it was skipped because the
 * previous run still held the overlap lock, or another scheduler had already `taken` it.
 * `error` is the task's error, or the lock/database error that kept the tick from running.
 */
export type TickOutcome = 'ok' | 'failed' | 'skipped-overlap' | 'taken';

export interface TickEvent {
  readonly task: string;
  /** ISO-8601 UTC. */
  readonly tick: string;
  readonly node: string;
  readonly outcome: TickOutcome;
  readonly error?: string;
  readonly ms: number;
}

export interface SchedulerOptions {
  /** Recorded with each run; default `hostname:pid`. */
  readonly node?: string;
  /** How long `stop()` waits for running tasks before aborting their signals. Default 30 s. */
  readonly stopGraceMs?: number;
  /** Told about every tick this node settled (tests, metrics). */
  readonly onTick?: (event: TickEvent) => void;
}

/** A task name `schedule:run` (or code) asked for is not in the schedule. */
export class UnknownTaskError extends Error {
  constructor(readonly task: string, readonly known: readonly string[]) {
    super(`unknown task "${task}"; the tasks are: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownTaskError';
  }
}

/** A schedule that cannot run (a bad pattern, a duplicate name): a programming error, found at boot. */
export class InvalidScheduleError extends Error {
  override name = 'InvalidScheduleError';
}

export { nodeName };

interface Entry {
  readonly task: ScheduledTask;
  /** Not scheduled: only reads the pattern (next run, the tick a firing belongs to). */
  readonly pattern: Cron;
}

/**
 * `marg schedule` (DESIGN §1): croner fires each task's ticks in this process; shared locks
 * make it cluster-wide. croner's own `protect` only knows this process, so:
 * - onOneServer: the first node to take the lock `schedule:<task>:<tick>` runs the tick; the
 *   lock is left to expire, so a late node cannot run the same tick after the first finished;
 * - withoutOverlapping: the lock `schedule:<task>:running` is held for the run (at most
 *   `maxRuntimeMs`), on whichever node;
 * - every run is a row in `schedule_runs` (platform database), unique per task and tick.
 * A failing task is logged and recorded; the schedule goes on.
 */
export class Scheduler {
  readonly node: string;
  readonly #services: Services;
  readonly #entries = new Map<string, Entry>();
  readonly #runs: ScheduleRuns;
  readonly #options: SchedulerOptions;
  #jobs: Cron[] = [];
  readonly #inFlight = new Set<Promise<TickEvent>>();
  readonly #controllers = new Set<AbortController>();
  #stopped = false;

  constructor(services: Services, tasks: readonly ScheduledTask[], options: SchedulerOptions = {}) {
    this.#services = services;
    this.#options = options;
    // MARG_NODE_NAME when the deployment names its nodes (scheduler-1): the runs say which one ran a task.
    this.node = options.node ?? services.config.nodeName ?? nodeName();
    this.#runs = new ScheduleRuns(services.databases.get<ScheduleDatabase>('platform'));
    for (const task of tasks) {
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(task.name)) throw new InvalidScheduleError(`task name ${JSON.stringify(task.name)}: use 1-100 letters, digits and _ . : -`);
      if (this.#entries.has(task.name)) throw new InvalidScheduleError(`two scheduled tasks are named "${task.name}"`);
      if (task.maxRuntimeMs !== undefined && !(Number.isInteger(task.maxRuntimeMs) && task.maxRuntimeMs > 0)) {
        throw new InvalidScheduleError(`task ${task.name}: maxRuntimeMs must be a positive integer (got ${task.maxRuntimeMs})`);
      }
      let pattern: Cron;
      try {
        pattern = new Cron(task.cron, { timezone: task.timezone ?? 'UTC' });
        pattern.nextRun(); // an unknown time zone only fails when a date is computed
      } catch (error) {
        throw new InvalidScheduleError(`task ${task.name}: cron "${task.cron}"${task.timezone ? ` in ${task.timezone}` : ''} is invalid: ${(error as Error).message}`);
      }
      this.#entries.set(task.name, { task, pattern });
    }
  }

  get tasks(): readonly ScheduledTask[] {
    return [...this.#entries.values()].map((e) => e.task);
  }

  get runs(): ScheduleRuns {
    return this.#runs;
  }

  /** The next tick of a task after `from` (default now), or null when the pattern has none. */
  nextRun(name: string, from?: Date): Date | null {
    return this.#entry(name).pattern.nextRun(from);
  }

  /** Starts firing every task's ticks. */
  start(): void {
    if (this.#stopped) throw new Error('a stopped scheduler cannot start again');
    if (this.#jobs.length > 0) return;
    if (this.#services.locks.driver === 'memory' && this.#entries.size > 0) {
      this.#services.logger.warn('LOCK_STORE is memory: schedulers on other nodes cannot see this one\'s locks (only the schedule_runs table keeps their ticks single); use sqlite or redis');
    }
    for (const entry of this.#entries.values()) {
      // The callback returns nothing: croner's own bookkeeping (and `protect`) stays out; the locks decide.
      const job = new Cron(entry.task.cron, { timezone: entry.task.timezone ?? 'UTC' }, () => {
        if (this.#stopped) return;
        void this.#track(entry, this.#tickOf(entry, new Date()), true);
      });
      this.#jobs.push(job);
    }
  }

  /**
   * Runs a task once now, outside its cron (`marg schedule:run`): no tick lock, but the
   * overlap lock is honoured. Resolves with what happened.
   */
  runNow(name: string): Promise<TickEvent> {
    return this.#track(this.#entry(name), new Date(), false);
  }

  /**
   * Stops firing ticks, then waits for the running tasks: up to the grace period, after
   * which their signals are aborted and they get a few seconds more.
   */
  async stop(graceMs = this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.#stopped = true;
    for (const job of this.#jobs) job.stop();
    this.#jobs = [];
    if (this.#inFlight.size === 0) return;
    const all = Promise.allSettled([...this.#inFlight]);
    this.#services.logger.info({ running: this.#inFlight.size, graceMs }, 'scheduler stopping: waiting for running tasks');
    if (await settlesWithin(all, graceMs)) return;
    for (const controller of this.#controllers) controller.abort(new Error('the scheduler is stopping'));
    if (!(await settlesWithin(all, ABORT_WAIT_MS))) {
      this.#services.logger.warn({ running: this.#inFlight.size }, 'scheduler stopped with tasks still running (they ignored their abort signal)');
    }
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new UnknownTaskError(name, [...this.#entries.keys()]);
    return entry;
  }

  /**
   * croner fires at (or, on a busy event loop, after) the scheduled second; the tick is the
   * last time the pattern matched, so every node names it the same whenever its timer fired.
   */
  #tickOf(entry: Entry, firedAt: Date): Date {
    const [tick] = entry.pattern.previousRuns(1, new Date(firedAt.getTime() + 1));
    return tick ?? new Date(Math.floor(firedAt.getTime() / 1000) * 1000);
  }

  #track(entry: Entry, tick: Date, scheduled: boolean): Promise<TickEvent> {
    const promise = this.#tick(entry, tick, scheduled).finally(() => this.#inFlight.delete(promise));
    this.#inFlight.add(promise);
    return promise;
  }

  async #tick(entry: Entry, tick: Date, scheduled: boolean): Promise<TickEvent> {
    const { task } = entry;
    const { locks, logger } = this.#services;
    const tickIso = tick.toISOString();
    const started = performance.now();
    const log = { task: task.name, tick: tickIso };
    const settle = (outcome: TickOutcome, error?: string): TickEvent => {
      const event: TickEvent = { task: task.name, tick: tickIso, node: this.node, outcome, ms: Math.round(performance.now() - started), ...(error === undefined ? {} : { error }) };
      try {
        this.#options.onTick?.(event);
      } catch (listenerError) {
        logger.warn({ ...log, err: listenerError }, 'scheduler onTick listener threw');
      }
      return event;
    };
    const onOneServer = task.onOneServer ?? true;
    let recorded = false;
    try {
      if (scheduled && onOneServer) {
        // Never released: see TICK_LOCK_TTL_MS.
        if (!(await locks.acquire(`schedule:${task.name}:${tickIso}`, TICK_LOCK_TTL_MS, `${this.node}:${randomUUID()}`))) {
          logger.debug(log, 'tick taken by another scheduler');
          return settle('taken');
        }
      }
      // A duplicate row with onOneServer means another node ran the tick although this one got
      // its lock (the schedulers do not share a lock store); without onOneServer every node
      // runs and the first one records.
      try {
        recorded = await this.#runs.begin(task.name, tickIso, this.node);
        if (!recorded && scheduled && onOneServer) {
          logger.warn(log, 'tick already recorded by another scheduler although this one took its lock: do the schedulers share one LOCK_STORE?');
          return settle('taken');
        }
      } catch (error) {
        // The lock decided already: bookkeeping trouble does not stop the task.
        logger.error({ ...log, err: error }, 'could not record the scheduled run in schedule_runs');
      }

      const maxRuntimeMs = task.maxRuntimeMs ?? DEFAULT_MAX_RUNTIME_MS;
      const withoutOverlapping = task.withoutOverlapping ?? true;
      const overlapLock = withoutOverlapping ? await locks.acquire(`schedule:${task.name}:running`, maxRuntimeMs, `${this.node}:${randomUUID()}`) : undefined;
      if (withoutOverlapping && !overlapLock) {
        logger.info(log, 'skipped: the previous run is still going');
        if (recorded) await this.#quietly(() => this.#runs.finish(task.name, tickIso, this.node, 'skipped-overlap'), log);
        return settle('skipped-overlap');
      }

      const controller = new AbortController();
      const deadline = setTimeout(() => {
        logger.warn({ ...log, maxRuntimeMs }, 'scheduled task ran past its maximum runtime: aborting it');
        controller.abort(new Error(`ran longer than ${maxRuntimeMs} ms`));
      }, maxRuntimeMs);
      this.#controllers.add(controller);
      let failure: unknown;
      let failed = false;
      try {
        await task.run(this.#services, controller.signal, { tick, node: this.node });
      } catch (error) {
        failed = true;
        failure = error;
      } finally {
        clearTimeout(deadline);
        this.#controllers.delete(controller);
        if (overlapLock) await this.#quietly(() => overlapLock.release(), log);
      }

      if (failed) {
        const message = describe(failure);
        logger.error({ ...log, err: failure }, 'scheduled task failed');
        if (recorded) await this.#quietly(() => this.#runs.finish(task.name, tickIso, this.node, 'failed', message), log);
        return settle('failed', message);
      }
      logger.info({ ...log, ms: Math.round(performance.now() - started) }, 'scheduled task done');
      if (recorded) await this.#quietly(() => this.#runs.finish(task.name, tickIso, this.node, 'ok'), log);
      return settle('ok');
    } catch (error) {
      // The lock store itself failed: skipping the tick is safer than running it twice.
      logger.error({ ...log, err: error }, 'scheduler could not take the tick (lock store unavailable?): skipped');
      if (recorded) await this.#quietly(() => this.#runs.finish(task.name, tickIso, this.node, 'failed', `not run: ${describe(error)}`), log);
      return settle('failed', describe(error));
    }
  }

  async #quietly(work: () => Promise<unknown>, log: object): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#services.logger.error({ ...log, err: error }, 'scheduler bookkeeping failed');
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
