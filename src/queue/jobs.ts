import type { JsonValue, ReservedJob } from './contract.ts';

/**
 * What a job handler gets besides its payload: only what the worker owns. A handler that needs
 * the platform's services gets them where its job set is declared (a factory taking them).
 */
export interface JobContext {
  readonly job: ReservedJob;
  /** Aborted when the job passes its timeout or the worker is shut down hard: stop work then. */
  readonly signal: AbortSignal;
}

/**
 * Runs one job. Throwing fails this attempt (retried while tries remain). Handlers run at
 * least once per dispatch, so they must be safe to run twice.
 */
export type JobHandler = (payload: JsonValue, ctx: JobContext) => Promise<void>;

/** Jobs by name (`links.clicks`, `mail.send`): the platform's and every app's. */
export type JobHandlers = Readonly<Record<string, JobHandler>>;
