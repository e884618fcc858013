import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { JobFactory } from '../platform/app-module.ts';

/** How long the chaos job's cache keys live: a run is bounded well below this. */
const KEY_TTL_SECONDS = 3_600;

const Payload = Type.Object({
  run: Type.String({ pattern: '^[a-z0-9-]{1,40}$' }),
  n: Type.Integer({ minimum: 1 }),
  holdMs: Type.Integer({ minimum: 0, maximum: 10_000 }),
});

/** Cache keys the job writes and `marg chaos` reads (one namespace per run). */
export const chaosKeys = {
  /** Which job a worker is running now: `marg chaos` kills a worker while this names a job not yet done. */
  running: (run: string, node: string) => `chaos:${run}:running:${node}`,
  /** How many times job `n` ran to its end: 1 is exactly once, 0 lost, 2+ duplicated. */
  done: (run: string, n: number) => `chaos:${run}:done:${n}`,
};

/**
 * `chaos.probe`, dispatched only by `marg chaos`: says which worker runs it, holds for
 * `holdMs` (so a worker can be killed mid-job), then counts its completion in the cache.
 * The count comes last: a run killed before it leaves no trace and its redelivery counts once.
 */
export const chaosJobs: JobFactory = (services) => ({
  async 'chaos.probe'(payload, { signal }) {
    if (!Value.Check(Payload, payload)) throw new Error('chaos.probe: payload must be {run, n, holdMs}');
    const node = services.config.nodeName ?? `pid-${process.pid}`;
    await services.cache.set(chaosKeys.running(payload.run, node), payload.n, KEY_TTL_SECONDS);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, payload.holdMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      }, { once: true });
    });
    await services.cache.increment(chaosKeys.done(payload.run, payload.n), 1, KEY_TTL_SECONDS);
  },
});
