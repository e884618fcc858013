import type { Redis } from 'ioredis';

const FLUSH_MS = 5_000;
/** A minute's count is read during the next minute; a few minutes of slack, then Redis drops it. */
const KEEP_SECONDS = 300;

export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** `<REDIS_PREFIX>queues:completed:<queue>:<minute>`: beside the queue-names set, outside BullMQ's keys. */
export function completedKey(namesKey: string, queue: string, minute: number): string {
  return `${namesKey}:completed:${queue}:${minute}`;
}

/**
 * Counts completed jobs per queue and minute for `queue:stats` (jobs/min). Counted in memory
 * and added to Redis every few seconds, one INCRBY per queue and minute: BullMQ's own metrics
 * would add work to every job's completion script, which is the hot path. A worker that dies
 * loses at most its last few seconds of counts.
 */
export class CompletionCounter {
  readonly #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Redis,
    private readonly namesKey: string,
  ) {}

  count(queue: string): void {
    const key = completedKey(this.namesKey, queue, minuteOf(Date.now()));
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(() => {});
    }, FLUSH_MS).unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#counts.size === 0) return;
    const batch = this.client.multi();
    for (const [key, n] of this.#counts) batch.incrby(key, n).expire(key, KEEP_SECONDS);
    this.#counts.clear();
    await batch.exec();
  }
}
