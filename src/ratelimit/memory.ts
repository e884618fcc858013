import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimitRule, RateLimitStore } from './contract.ts';
import { FlexibleRateLimiter, flexibleOptions } from './flexible.ts';

/** Counters in this process only. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly driver = 'memory';

  constructor(private readonly prefix: string) {}

  limiter(name: string, rule: RateLimitRule): RateLimiter {
    return new FlexibleRateLimiter(new RateLimiterMemory(flexibleOptions(this.prefix, name, rule)), rule);
  }

  async close(): Promise<void> {}
}
