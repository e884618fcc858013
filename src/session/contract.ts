/**
 * Server-side session records. The store sees only opaque payloads: encryption and
 * serialisation happen above it, in the session manager.
 */
export interface SessionRecord {
  readonly payload: string;
  readonly expiresAt: number;
}

export interface SessionStore {
  readonly driver: string;
  read(id: string): Promise<string | undefined>;
  /** The payload with the time (ms since the epoch) its record expires: what an in-process copy may not outlive. */
  readRecord(id: string): Promise<SessionRecord | undefined>;
  /**
   * Creates or replaces the record and (re)sets its expiry. A record written with a `userId` is
   * listed under that user while it lives (a session's user never changes: signing in starts a new id).
   */
  write(id: string, payload: string, ttlSeconds: number, userId?: number): Promise<void>;
  destroy(id: string): Promise<void>;
  /** The ids of the user's live records, in no particular order. */
  idsOf(userId: number): Promise<string[]>;
  /** Destroys every live record of the user but `exceptId`; returns how many went. */
  destroyOf(userId: number, exceptId?: string): Promise<number>;
  /** Deletes expired records where the store has no expiry of its own; returns how many. */
  prune(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
