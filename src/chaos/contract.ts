import type { Cache } from '../cache/repository.ts';

/** What `marg chaos` can break, in the order it breaks them. */
export const EXPERIMENT_KINDS = ['web', 'worker', 'redis-primary', 'db-replica'] as const;
export type ExperimentKind = (typeof EXPERIMENT_KINDS)[number];

/** What a target may need while being prepared: the job load's run id and the cache its job writes to. */
export interface ExperimentContext {
  readonly run: string;
  readonly cache: Cache;
  readonly say: (line: string) => void;
}

/**
 * One thing an experiment kills (a port: src/chaos/cluster-targets.ts finds them in a
 * `marg cluster` state file, hook-targets.ts runs commands the operator gave). Never found by
 * name: a pid it recorded or was told by the server itself, or the operator's own command.
 */
export interface Target {
  readonly kind: ExperimentKind;
  /** For the announcement and the table: `web-2 (pid 4121)`, `redis 127.0.0.1:6380 (pid 77)`. */
  readonly label: string;
  /** Waits for the moment to kill (a worker: until it runs a chaos job, whose number it returns); throws when it does not come. */
  prepare?(context: ExperimentContext): Promise<{ readonly midJob?: number } | void>;
  kill(): Promise<void>;
  /** Polled after the kill: true once the system noticed (HAProxy marked the node DOWN, Sentinel switched primary). */
  noticed?(): Promise<boolean>;
  /** Who notices, for the table: `haproxy`, `sentinel`. */
  readonly noticedBy?: string;
}

/** An experiment that cannot run here, and why (no hook given, a single web node, …). */
export interface Skipped {
  readonly kind: ExperimentKind;
  readonly reason: string;
}

export interface Plan {
  readonly targets: readonly Target[];
  readonly skipped: readonly Skipped[];
}

/** One experiment's outcome: what the table and `--json` show. */
export interface ExperimentResult {
  readonly kind: ExperimentKind;
  readonly target: string;
  /** Set when the experiment could not run (or the kill failed). */
  readonly error?: string;
  readonly requests: number;
  readonly failedRequests: number;
  /** From the kill until the system noticed (undefined: not observable, or never). */
  readonly noticedMs?: number;
  readonly noticedBy?: string;
  /** Requests that failed once the system had noticed: a balancer that noticed should cost none. */
  readonly failedAfterNoticed?: number;
  /** From the kill until the first success after the last failed request or dispatch (0: nothing failed). */
  readonly recoveryMs: number;
  /** True when failures went on until the experiment's window ended. */
  readonly recovered: boolean;
  readonly dispatched: number;
  readonly failedDispatches: number;
  readonly jobsOnce: number;
  readonly jobsLost: number;
  readonly jobsDuplicated: number;
  /** A worker experiment: the chaos job the worker was running when killed, and how often it ran to its end in all. */
  readonly midJob?: { readonly n: number; readonly runs: number };
}

export interface ChaosReport {
  readonly target: string;
  readonly startedAt: string;
  readonly experiments: readonly ExperimentResult[];
  readonly skipped: readonly Skipped[];
  /** Every acknowledged job ran exactly once and no request failed after a balancer noticed. */
  readonly ok: boolean;
}
