import type { RateLimiter, RateLimitResult, RateLimitRule, RateLimitTake } from './contract.ts';

/** A lease spent within this long of its grant was too small: the next one doubles. */
const FAST_SPEND_MS = 100;
/** Unspent points of a key idle this long go back to the store, so other nodes can use them. */
const IDLE_MS = 250;
/** Once the store has no points left for a key, hits are refused here for this long before asking again. */
const FULL_RECHECK_MS = 250;
/** Speculative points of one lease: at most this share of the limit. */
const MAX_SPARE_SHARE = 0.05;

interface Waiter {
  readonly points: number;
  readonly resolve: (result: RateLimitResult) => void;
  readonly reject: (error: unknown) => void;
}

interface KeyState {
  /** Points taken from the store and not yet handed out. */
  available: number;
  /** The store's remaining points as of the last take. */
  storeRemaining: number;
  /** Speculative points the next lease may add to what is waiting (grows while leases run out fast). */
  spare: number;
  grantedAt: number;
  lastHitAt: number;
  /** When the store last said the limit was reached (0: not full). */
  fullSince: number;
  retryAfterSeconds: number;
  waiting: Waiter[];
  leasing: boolean;
}

/**
 * A limiter that takes points from the shared store in leases and hands them out in process,
 * so a busy key costs one store round trip per lease instead of one per hit.
 *
 * Hand-written because rate-limiter-flexible's in-memory insurance and blocking do not lease.
 * Precision, across any number of nodes:
 * - never more than the limit: a lease is taken atomically from the shared counter, and only
 *   what the store granted is handed out;
 * - a slow key (the usual 100 a minute) leases one point per hit, exactly as without leases;
 *   only a key whose lease ran out within 100 ms leases more, up to 5 % of the limit;
 * - so a client may be refused early by at most the points other nodes have leased and not
 *   yet spent, and those go back to the store after 250 ms without a hit;
 * - once the store is full for a key, this node refuses it for 250 ms before asking again.
 */
export class LeasedRateLimiter implements RateLimiter {
  readonly #keys = new Map<string, KeyState>();
  readonly #maxSpare: number;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: RateLimiter,
    rule: RateLimitRule,
    /** Called when giving unspent points back fails (the counter stays higher until the window ends). */
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.#maxSpare = Math.floor(rule.points * MAX_SPARE_SHARE);
  }

  hit(key: string, points = 1): Promise<RateLimitResult> {
    const now = performance.now();
    let state = this.#keys.get(key);
    if (!state) {
      state = { available: 0, storeRemaining: 0, spare: 0, grantedAt: Number.NEGATIVE_INFINITY, lastHitAt: now, fullSince: 0, retryAfterSeconds: 0, waiting: [], leasing: false };
      this.#keys.set(key, state);
      this.#sweep();
    }
    state.lastHitAt = now;
    if (state.waiting.length === 0 && state.available >= points) {
      state.available -= points;
      return Promise.resolve({ allowed: true, remaining: state.storeRemaining + state.available, retryAfterSeconds: 0 });
    }
    if (state.fullSince !== 0 && now - state.fullSince < FULL_RECHECK_MS) {
      return Promise.resolve({ allowed: false, remaining: 0, retryAfterSeconds: state.retryAfterSeconds });
    }
    return new Promise((resolve, reject) => {
      state.waiting.push({ points, resolve, reject });
      if (!state.leasing) void this.#lease(key, state);
    });
  }

  /** Takes what the waiting hits need (and spare points if leases run out fast), then serves them in order. */
  async #lease(key: string, state: KeyState): Promise<void> {
    state.leasing = true;
    while (state.waiting.length > 0) {
      const need = state.waiting.reduce((sum, w) => sum + w.points, 0) - state.available;
      const now = performance.now();
      state.spare = now - state.grantedAt < FAST_SPEND_MS ? Math.min(this.#maxSpare, Math.max(1, state.spare * 2)) : 0;
      // Never lease away more than half of what the store had left: other nodes may need it.
      const spare = Math.min(state.spare, Math.floor(state.storeRemaining / 2));
      let taken: RateLimitTake;
      try {
        taken = need > 0 ? await this.store.take(key, need + spare) : { granted: 0, remaining: state.storeRemaining, retryAfterSeconds: 0 };
      } catch (error) {
        for (const waiter of state.waiting.splice(0)) waiter.reject(error);
        break;
      }
      state.grantedAt = performance.now();
      state.available += taken.granted;
      state.storeRemaining = taken.remaining;
      state.fullSince = taken.granted < need ? state.grantedAt : 0;
      state.retryAfterSeconds = taken.retryAfterSeconds;
      while (state.waiting.length > 0) {
        const waiter = state.waiting[0]!;
        if (state.available < waiter.points) break;
        state.waiting.shift();
        state.available -= waiter.points;
        waiter.resolve({ allowed: true, remaining: state.storeRemaining + state.available, retryAfterSeconds: 0 });
      }
      if (state.fullSince !== 0) {
        for (const waiter of state.waiting.splice(0)) waiter.resolve({ allowed: false, remaining: 0, retryAfterSeconds: taken.retryAfterSeconds });
      }
    }
    state.leasing = false;
  }

  /** Gives the unspent points of idle keys back and forgets them; runs only while keys are held. */
  #sweep(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => {
      const now = performance.now();
      for (const [key, state] of this.#keys) {
        if (state.leasing || now - state.lastHitAt < IDLE_MS) continue;
        this.#keys.delete(key);
        if (state.available > 0) this.store.refund(key, state.available).catch(this.onError);
      }
      if (this.#keys.size === 0) {
        clearInterval(this.#sweeper);
        this.#sweeper = undefined;
      }
    }, IDLE_MS);
    this.#sweeper.unref();
  }

  take(key: string, points: number): Promise<RateLimitTake> {
    return this.store.take(key, points);
  }

  /** The store's view: points leased to nodes count as taken. */
  peek(key: string): Promise<RateLimitResult> {
    return this.store.peek(key);
  }

  async reset(key: string): Promise<void> {
    this.#keys.delete(key);
    await this.store.reset(key);
  }

  refund(key: string, points = 1): Promise<void> {
    return this.store.refund(key, points);
  }

  /** Gives every unspent point back (a node shutting down) and stops the sweeper. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const held = [...this.#keys].filter(([, state]) => state.available > 0);
    this.#keys.clear();
    await Promise.all(held.map(([key, state]) => this.store.refund(key, state.available).catch(this.onError)));
  }
}
