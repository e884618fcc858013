/**
 * Server-side session records. The store sees only opaque payloads: encryption and
 * serialisation happen above it, in the session manager.
 */
export interface SessionStore {
  readonly driver: string;
  read(id: string): Promise<string | undefined>;
  /** Creates or replaces the record and (re)sets its expiry. */
  write(id: string, payload: string, ttlSeconds: number): Promise<void>;
  destroy(id: string): Promise<void>;
  /** Deletes expired records where the store has no expiry of its own; returns how many. */
  prune(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
