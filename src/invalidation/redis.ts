import type { Redis } from 'ioredis';
import { EVERYTHING, type InvalidationBus } from './contract.ts';

/**
 * Invalidations over Redis pub/sub, for every node on the same Redis (channel `<prefix>invalidate`:
 * pub/sub ignores the database number, the prefix keeps deployments apart).
 *
 * `live` only while the subscription is up: between a dropped connection and the next
 * SUBSCRIBE, messages are lost, so the caches answer from the stores meanwhile, and forget
 * everything once it is back. A message published by this process reaches its own listeners
 * directly too, before the round trip.
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly driver = 'redis';
  readonly #listeners = new Set<(message: string) => void>();
  readonly #channel: string;
  #subscriber: Redis | undefined;
  #subscribed = false;

  constructor(
    private readonly client: Redis,
    private readonly openSubscriber: () => Redis,
    prefix: string,
  ) {
    this.#channel = `${prefix}invalidate`;
  }

  get live(): boolean {
    return this.#subscribed && this.#subscriber?.status === 'ready';
  }

  async publish(message: string): Promise<void> {
    this.#deliver(message);
    await this.client.publish(this.#channel, message);
    // Redis may write PUBLISH's reply to us before the message to the subscribers (it writes its
    // pending clients newest first). A second round trip returns only after that whole write pass,
    // so once publish() resolves the message is on its way to every node, ahead of the next request.
    await this.client.ping();
  }

  subscribe(listener: (message: string) => void): () => void {
    this.#listeners.add(listener);
    this.#start();
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once this process receives the others' messages (tests, and boot when it wants the caches at once). */
  async listening(): Promise<void> {
    this.#start();
    const subscriber = this.#subscriber!;
    if (subscriber.status !== 'ready') await new Promise((resolve) => subscriber.once('ready', resolve));
    await subscriber.subscribe(this.#channel);
    this.#subscribed = true;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#subscribed = false;
    if (subscriber) subscriber.disconnect();
  }

  #start(): void {
    if (this.#subscriber) return;
    const subscriber = (this.#subscriber = this.openSubscriber());
    subscriber.on('message', (_channel: string, message: string) => this.#deliver(message));
    // ioredis re-subscribes after a reconnect; whatever was published in between is lost.
    subscriber.on('close', () => {
      this.#subscribed = false;
    });
    subscriber.on('ready', () => {
      subscriber
        .subscribe(this.#channel)
        .then(() => {
          if (this.#subscriber !== subscriber) return;
          this.#deliver(EVERYTHING);
          this.#subscribed = true;
        })
        .catch(() => {
          // Still not live: the caches keep reading the stores until the next 'ready'.
        });
    });
  }

  #deliver(message: string): void {
    for (const listener of this.#listeners) listener(message);
  }
}
