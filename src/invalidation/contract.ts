/**
 * Invalidations between the processes that share the stores: when one process ends a session
 * or changes someone's roles, every process drops its in-process copy before the next request.
 * Messages are short strings (`session:<id>`, `principal:<userId>`, `sessions:*`...); their
 * meaning belongs to the caches that publish and receive them.
 */
export interface InvalidationBus {
  readonly driver: string;
  /**
   * True while every message published by any process reaches this one. In-process caches
   * may only answer from memory while it holds: a bus that is (re)connecting may be missing
   * messages, so the caches go back to the stores.
   */
  readonly live: boolean;
  /** Delivers `message` to every subscriber of every process (this one included) before it resolves. */
  publish(message: string): Promise<void>;
  /** Calls `listener` for each message, also when the bus was down (`'*'`: forget everything). Returns the unsubscribe. */
  subscribe(listener: (message: string) => void): () => void;
  close(): Promise<void>;
}

/** What a listener gets when messages may have been missed (the bus reconnected): drop every entry. */
export const EVERYTHING = '*';
