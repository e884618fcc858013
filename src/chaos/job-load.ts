import type { Services } from '../platform/services.ts';
import { chaosKeys } from './job.ts';

export interface Dispatch {
  readonly n: number;
  readonly at: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Steady job dispatch (`chaos.probe`, at most `maxJobs`): the job half of the load. An
 * acknowledged dispatch is one whose promise resolved; `count` later says how often each ran.
 */
export class JobLoad {
  readonly settled: Dispatch[] = [];
  #n = 0;
  readonly #pending = new Set<Promise<void>>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly services: Services,
    readonly run: string,
    options: { readonly perSecond: number; readonly holdMs: number; readonly maxJobs: number },
  ) {
    this.#timer = setInterval(() => {
      if (this.#pending.size >= 20 || this.#n >= options.maxJobs) return;
      const n = ++this.#n;
      const at = Date.now();
      const work = services.queue
        .dispatch('chaos.probe', { run, n, holdMs: options.holdMs }, { tries: 5 })
        .then(
          () => void this.settled.push({ n, at, ok: true }),
          (error: Error) => void this.settled.push({ n, at: Date.now(), ok: false, error: error.message }),
        )
        .finally(() => this.#pending.delete(work));
      this.#pending.add(work);
    }, Math.max(1, Math.round(1000 / options.perSecond)));
  }

  between(from: number, to = Infinity): Dispatch[] {
    return this.settled.filter((d) => d.at >= from && d.at < to);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#pending]);
  }

  /** How many times each acknowledged job ran to its end (read from the cache the job writes). */
  async counts(dispatches: readonly Dispatch[]): Promise<Map<number, number>> {
    const acknowledged = dispatches.filter((d) => d.ok);
    const counts = new Map<number, number>();
    for (let i = 0; i < acknowledged.length; i += 500) {
      const batch = acknowledged.slice(i, i + 500);
      const values = await this.services.cache.getMany(batch.map((d) => chaosKeys.done(this.run, d.n)));
      batch.forEach((d, j) => counts.set(d.n, typeof values[j] === 'number' ? values[j] : 0));
    }
    return counts;
  }
}
