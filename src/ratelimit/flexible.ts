import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimitResult, RateLimitRule, RateLimitTake } from './contract.ts';

/** Adapts a rate-limiter-flexible limiter (any backend) to Marg's RateLimiter. */
export class FlexibleRateLimiter implements RateLimiter {
  constructor(private readonly inner: RateLimiterAbstract, private readonly rule: RateLimitRule) {}

  async hit(key: string, points = 1): Promise<RateLimitResult> {
    try {
      return this.#result(await this.inner.consume(key, points), true);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.#result(rejection, false);
      throw rejection;
    }
  }

  async take(key: string, points: number): Promise<RateLimitTake> {
    try {
      const res = await this.inner.consume(key, points);
      return { granted: points, remaining: Math.max(0, res.remainingPoints), retryAfterSeconds: 0 };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // Every backend adds before it compares (one atomic step), so consumedPoints - points is
      // what others had taken: what was left is this take's, the rest is given back.
      const granted = Math.min(points, Math.max(0, this.rule.points - (rejection.consumedPoints - points)));
      if (points > granted) await this.inner.reward(key, points - granted);
      return { granted, remaining: 0, retryAfterSeconds: this.#result(rejection, false).retryAfterSeconds };
    }
  }

  async peek(key: string): Promise<RateLimitResult> {
    const res = await this.inner.get(key);
    if (!res) return { allowed: true, remaining: this.rule.points, retryAfterSeconds: 0 };
    return this.#result(res, res.consumedPoints < this.rule.points);
  }

  async reset(key: string): Promise<void> {
    await this.inner.delete(key);
  }

  async refund(key: string, points = 1): Promise<void> {
    const res = await this.inner.reward(key, points);
    // A refund on a counter that has already expired would leave credit behind: drop it instead.
    if (res.consumedPoints <= 0) await this.inner.delete(key);
  }

  #result(res: RateLimiterRes, allowed: boolean): RateLimitResult {
    return {
      allowed,
      remaining: Math.max(0, res.remainingPoints),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}

/** The options every backend shares. */
export function flexibleOptions(prefix: string, name: string, rule: RateLimitRule) {
  return {
    keyPrefix: `${prefix}_${name}`.replace(/[^A-Za-z0-9_]/g, '_'),
    points: rule.points,
    duration: rule.windowSeconds,
    blockDuration: rule.blockSeconds ?? 0,
  };
}
