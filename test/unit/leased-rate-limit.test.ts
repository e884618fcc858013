import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RateLimiter } from '../../src/ratelimit/contract.ts';
import { LeasedRateLimiter } from '../../src/ratelimit/leased.ts';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory.ts';

/** The store limiter `inner` with its `take` replaced. */
function withTake(inner: RateLimiter, take: RateLimiter['take']): RateLimiter {
  return { hit: (key, points) => inner.hit(key, points), take, peek: (key) => inner.peek(key), reset: (key) => inner.reset(key), refund: (key, points) => inner.refund(key, points) };
}

/** A store limiter that counts its takes: how many round trips a real store would see. */
function counted(inner: RateLimiter): { limiter: RateLimiter; takes: () => number } {
  let takes = 0;
  const limiter = withTake(inner, (key, points) => {
    takes++;
    return inner.take(key, points);
  });
  return { limiter, takes: () => takes };
}

describe('LeasedRateLimiter', () => {
  it('a busy key takes from the store in growing leases, a handful of round trips for thousands of hits', async (t) => {
    const rule = { points: 1_000_000, windowSeconds: 60 };
    const store = counted(new MemoryRateLimitStore('t').limiter('api', rule));
    const leased = new LeasedRateLimiter(store.limiter, rule);
    t.after(() => leased.close());
    for (let i = 0; i < 5_000; i++) assert.equal((await leased.hit('busy')).allowed, true);
    assert.ok(store.takes() < 20, `${store.takes()} takes for 5,000 hits`);
    const last = await leased.hit('busy');
    assert.ok(last.remaining <= 1_000_000 - 5_001 && last.remaining >= 1_000_000 - 5_001 - 50_000, `remaining ${last.remaining}`);
  });

  it('a slow key takes one point per hit, so the store is exact', async (t) => {
    const rule = { points: 100, windowSeconds: 60 };
    const store = counted(new MemoryRateLimitStore('t').limiter('api', rule));
    const leased = new LeasedRateLimiter(store.limiter, rule);
    t.after(() => leased.close());
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await leased.hit('slow'), { allowed: true, remaining: 99 - i, retryAfterSeconds: 0 });
      assert.equal((await store.limiter.peek('slow')).remaining, 99 - i);
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    assert.equal(store.takes(), 3);
  });

  it('refuses a full key without asking the store again for a while', async (t) => {
    const rule = { points: 2, windowSeconds: 60 };
    const store = counted(new MemoryRateLimitStore('t').limiter('api', rule));
    const leased = new LeasedRateLimiter(store.limiter, rule);
    t.after(() => leased.close());
    await leased.hit('k');
    await leased.hit('k');
    const before = store.takes();
    for (let i = 0; i < 100; i++) assert.equal((await leased.hit('k')).allowed, false);
    assert.equal(store.takes(), before + 1, 'one take found the key full; the rest were refused here');
  });

  it('gives unspent points back once a key is idle', async (t) => {
    const rule = { points: 1_000, windowSeconds: 60 };
    const inner = new MemoryRateLimitStore('t').limiter('api', rule);
    const leased = new LeasedRateLimiter(inner, rule);
    t.after(() => leased.close());
    for (let i = 0; i < 200; i++) await leased.hit('k');
    assert.ok((await inner.peek('k')).remaining < 800, 'some points are leased and not spent yet');
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal((await inner.peek('k')).remaining, 800);
  });

  it('passes a store failure to every waiting hit, and recovers', async (t) => {
    const rule = { points: 10, windowSeconds: 60 };
    const inner = new MemoryRateLimitStore('t').limiter('api', rule);
    let fail = true;
    const flaky = withTake(inner, (key, points) => (fail ? Promise.reject(new Error('down')) : inner.take(key, points)));
    const leased = new LeasedRateLimiter(flaky, rule);
    t.after(() => leased.close());
    const failed = await Promise.allSettled([leased.hit('k'), leased.hit('k')]);
    assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
    fail = false;
    assert.deepEqual(await leased.hit('k'), { allowed: true, remaining: 9, retryAfterSeconds: 0 });
  });
});
