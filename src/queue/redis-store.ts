import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisConnections } from '../redis/connection.ts';
import type { RedisSettings } from '../redis/settings.ts';
import { withTimeout } from '../support/timeout.ts';
import { bullPrefix, queueNamesKey, type StoredJob } from './redis-jobs.ts';

export type BullQueue = Queue<StoredJob, unknown, string>;

/** QUEUE_REDIS_WAIT_REPLICAS / QUEUE_REDIS_WAIT_TIMEOUT: replicas that must hold a job before its dispatch is acknowledged. */
export interface ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** A dispatch the primary took but fewer replicas than asked confirmed in time: not acknowledged (it may still run). */
export class QueueReplicationError extends Error {
  constructor(readonly confirmed: number, readonly wanted: number, timeoutMs: number) {
    super(`the job reached ${confirmed} of ${wanted} Redis replicas within ${timeoutMs} ms (QUEUE_REDIS_WAIT_REPLICAS): it is queued on the primary but would be lost if the primary failed now, so the dispatch is not acknowledged`);
    this.name = 'QueueReplicationError';
  }
}

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
  readonly wait: ReplicaWait;
  readonly #queues = new Map<string, BullQueue>();
  /** Queue names this process has recorded in the names set already (one SADD per name per process). */
  readonly #recorded = new Set<string>();
  #readying: Promise<void> | undefined;
  #dispatchClient: Redis | undefined;

  constructor(settings: RedisSettings, options: { retryAfterMs: number; wait?: ReplicaWait | undefined }) {
    this.connections = new RedisConnections(settings);
    this.prefix = bullPrefix(settings);
    this.namesKey = queueNamesKey(settings);
    this.retryAfterMs = options.retryAfterMs;
    this.wait = options.wait ?? { replicas: 0, timeoutMs: 1_000 };
  }

  /**
   * Where jobs are added. With QUEUE_REDIS_WAIT_REPLICAS, a connection of its own: WAIT
   * confirms the writes made on its connection, and blocks that connection meanwhile (the
   * shared one carries sessions and the cache).
   */
  get dispatchClient(): Redis {
    if (this.wait.replicas === 0) return this.connections.client;
    this.#dispatchClient ??= this.connections.duplicate();
    return this.#dispatchClient;
  }

  /**
   * Redis replicates asynchronously: a job the primary acknowledged is lost if the primary
   * dies before a replica copied it and Sentinel promotes that replica. With
   * QUEUE_REDIS_WAIT_REPLICAS > 0, a dispatch resolves only once that many replicas hold
   * everything written on the dispatch connection so far.
   */
  async confirmReplicated(): Promise<void> {
    if (this.wait.replicas === 0) return;
    const confirmed = await this.dispatchClient.wait(this.wait.replicas, this.wait.timeoutMs);
    if (confirmed < this.wait.replicas) throw new QueueReplicationError(confirmed, this.wait.replicas, this.wait.timeoutMs);
  }

  queue(name: string): BullQueue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue<StoredJob, unknown, string>(name, { connection: this.dispatchClient, prefix: this.prefix });
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
    const client = this.dispatchClient;
    if (client.status === 'ready') return;
    // One PING for every call that arrives meanwhile (a burst of dispatches on a fresh connection).
    this.#readying ??= withTimeout(client.ping(), PING_TIMEOUT_MS)
      .then(() => undefined)
      .finally(() => (this.#readying = undefined));
    await this.#readying;
  }

  ping(timeoutMs = PING_TIMEOUT_MS): Promise<void> {
    return this.connections.ready(timeoutMs);
  }

  /** Every queue this deployment has used. */
  async known(): Promise<string[]> {
    await this.ensureReady();
    return this.connections.client.smembers(this.namesKey);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
    const dispatch = this.#dispatchClient;
    this.#dispatchClient = undefined;
    if (dispatch) await dispatch.quit().catch(() => dispatch.disconnect());
    await this.connections.close();
  }
}
