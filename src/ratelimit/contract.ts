export interface RateLimitRule {
  /** Hits allowed per window. */
  readonly points: number;
  readonly windowSeconds: number;
  /** Once over the limit, stay blocked this long (a lockout); defaults to the rest of the window. */
  readonly blockSeconds?: number;
}

export interface RateLimitResult {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Seconds until the next hit would be allowed (0 when allowed now). */
  readonly retryAfterSeconds: number;
}

/** What `take` got from the store. */
export interface RateLimitTake {
  /** Points granted: all that were asked for, or what was left of the limit (0 when none). */
  readonly granted: number;
  /** Points left in the store after this take. */
  readonly remaining: number;
  /** Seconds until the counter resets (0 when all were granted). */
  readonly retryAfterSeconds: number;
}

/** One named limit (e.g. "signin by email") over a shared counter store. */
export interface RateLimiter {
  /** Counts a hit against `key`. */
  hit(key: string, points?: number): Promise<RateLimitResult>;
  /**
   * Takes up to `points` at once, as many as are left: a batch of hits, or a lease that a
   * caller hands out later. Unlike `hit`, a take that finds fewer points than asked takes
   * those and leaves the counter at the limit.
   */
  take(key: string, points: number): Promise<RateLimitTake>;
  /** The state of `key` without counting. */
  peek(key: string): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
  /** Gives back points a hit took (a reservation that turned out not to count); never below zero. */
  refund(key: string, points?: number): Promise<void>;
}

/** A counter store that makes limiters: memory, SQLite or Redis. */
export interface RateLimitStore {
  readonly driver: string;
  limiter(name: string, rule: RateLimitRule): RateLimiter;
  close(): Promise<void>;
}
