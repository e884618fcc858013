import { Queue } from 'bullmq';
import { RedisConnections } from '../redis/connection.ts';
import type { RedisSettings } from '../redis/settings.ts';
import { withTimeout } from '../support/timeout.ts';
import { bullPrefix, queueNamesKey, type StoredJob } from './redis-jobs.ts';

export type BullQueue = Queue<StoredJob, unknown, string>;

const PING_TIMEOUT_MS = 2_000;

/**
 * What the Redis queue's producer, job source and failed-job administration share: the
 * connections, BullMQ's key prefix, the set of queue names (BullMQ keeps none), and one
 * BullMQ Queue object per Marg queue.
 */
export class RedisQueueStore {
  readonly connections: RedisConnections;
  /** BullMQ's key prefix. */
  readonly prefix: string;
  /** The queue-names set's key: completion counts sit beside it (redis-completions.ts). */
  readonly namesKey: string;
  readonly retryAfterMs: number;
  readonly #queues = new Map<string, BullQueue>();
  /** Queue names this process has recorded in the names set already (one SADD per name per process). */
  readonly #recorded = new Set<string>();
  #readying: Promise<void> | undefined;

  constructor(settings: RedisSettings, options: { retryAfterMs: number }) {
    this.connections = new RedisConnections(settings);
    this.prefix = bullPrefix(settings);
    this.namesKey = queueNamesKey(settings);
    this.retryAfterMs = options.retryAfterMs;
  }

  queue(name: string): BullQueue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue<StoredJob, unknown, string>(name, { connection: this.connections.client, prefix: this.prefix });
      // Connection errors reach the callers of the commands that hit them; an unheard 'error' event would crash the process.
      queue.on('error', () => {});
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async record(name: string): Promise<void> {
    if (this.#recorded.has(name)) return;
    this.#recorded.add(name);
    try {
      await this.connections.client.sadd(this.namesKey, name);
    } catch (error) {
      this.#recorded.delete(name);
      throw error;
    }
  }

  /**
   * BullMQ waits for a connection that is not ready yet for as long as Redis is away; every
   * other Redis call fails after a short outage, so these do too (the PING fails within ~1 s).
   */
  async ensureReady(): Promise<void> {
    if (this.connections.client.status === 'ready') return;
    // One PING for every call that arrives meanwhile (a burst of dispatches on a fresh connection).
    this.#readying ??= this.ping().finally(() => (this.#readying = undefined));
    await this.#readying;
  }

  async ping(): Promise<void> {
    await withTimeout(this.connections.client.ping(), PING_TIMEOUT_MS);
  }

  /** Every queue this deployment has used. */
  async known(): Promise<string[]> {
    await this.ensureReady();
    return this.connections.client.smembers(this.namesKey);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
    await this.connections.close();
  }
}
