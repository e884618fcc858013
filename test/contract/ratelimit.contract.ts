import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { RateLimitStore } from '../../src/ratelimit/contract.ts';
import { LeasedRateLimiter } from '../../src/ratelimit/leased.ts';
import { NO_SECOND_CONNECTION, sleepUntil, type ContractOptions, type Fixture } from './fixture.ts';

export type RateLimitFactory = () => Promise<Fixture<RateLimitStore>>;

const ALLOWED_FRESH = { allowed: true, remaining: 3, retryAfterSeconds: 0 };

/** The behaviour every rate-limit driver must have (src/ratelimit/contract.ts). */
export function describeRateLimitContract(driverName: string, factory: RateLimitFactory, options: ContractOptions = {}): void {
  describe(`rate limit contract: ${driverName}`, { skip: options.skip, concurrency: true }, () => {
    async function setup(t: TestContext): Promise<Fixture<RateLimitStore>> {
      const fixture = await factory();
      t.after(() => fixture.close());
      return fixture;
    }

    it('allows N hits, then refuses with remaining 0 and a retry-after of at least 1 s', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('signin', { points: 3, windowSeconds: 60 });
      assert.deepEqual(await limiter.hit('ada@example.test'), { allowed: true, remaining: 2, retryAfterSeconds: 0 });
      assert.deepEqual(await limiter.hit('ada@example.test'), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
      assert.deepEqual(await limiter.hit('ada@example.test'), { allowed: true, remaining: 0, retryAfterSeconds: 0 });
      for (let i = 0; i < 2; i++) {
        const refused = await limiter.hit('ada@example.test');
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60, `retryAfterSeconds ${refused.retryAfterSeconds}`);
      }
    });

    it('counts a weighted hit as that many points', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('export', { points: 3, windowSeconds: 60 });
      assert.deepEqual(await limiter.hit('k', 2), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
      assert.equal((await limiter.hit('k', 2)).allowed, false);
    });

    it('keeps keys and limiter names apart', async (t) => {
      const { store } = await setup(t);
      const signin = store.limiter('signin', { points: 1, windowSeconds: 60 });
      const reset = store.limiter('reset', { points: 1, windowSeconds: 60 });
      assert.equal((await signin.hit('ada')).allowed, true);
      assert.equal((await signin.hit('ada')).allowed, false);
      assert.equal((await signin.hit('grace')).allowed, true, 'another key has its own counter');
      assert.equal((await reset.hit('ada')).allowed, true, 'another limiter has its own counter');
    });

    it('peek reports the state without counting a hit', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('signin', { points: 3, windowSeconds: 60 });
      assert.deepEqual(await limiter.peek('k'), ALLOWED_FRESH);
      await limiter.hit('k');
      for (let i = 0; i < 5; i++) assert.deepEqual(await limiter.peek('k'), { allowed: true, remaining: 2, retryAfterSeconds: 0 });
      assert.deepEqual(await limiter.hit('k'), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
      await limiter.hit('k');
      const exhausted = await limiter.peek('k');
      assert.equal(exhausted.allowed, false, 'the next hit would be refused');
      assert.equal(exhausted.remaining, 0);
      assert.ok(exhausted.retryAfterSeconds >= 1);
    });

    it('refund gives back what a hit took, never more', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('signin', { points: 3, windowSeconds: 60 });
      for (let i = 0; i < 3; i++) await limiter.hit('k');
      assert.equal((await limiter.peek('k')).allowed, false);
      await limiter.refund('k');
      assert.deepEqual(await limiter.peek('k'), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
      await limiter.refund('k', 2);
      assert.deepEqual(await limiter.peek('k'), ALLOWED_FRESH);
      await limiter.refund('k');
      await limiter.refund('never-hit');
      assert.deepEqual(await limiter.peek('k'), ALLOWED_FRESH, 'no credit beyond a fresh counter');
      assert.deepEqual(await limiter.peek('never-hit'), ALLOWED_FRESH);
      assert.deepEqual(await limiter.hit('never-hit'), { allowed: true, remaining: 2, retryAfterSeconds: 0 });
    });

    it('reset clears the counter', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('signin', { points: 3, windowSeconds: 60 });
      for (let i = 0; i < 4; i++) await limiter.hit('k');
      await limiter.reset('k');
      assert.deepEqual(await limiter.peek('k'), ALLOWED_FRESH);
      assert.deepEqual(await limiter.hit('k'), { allowed: true, remaining: 2, retryAfterSeconds: 0 });
      await limiter.reset('never-hit');
    });

    it('opens again when the window has passed', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('signin', { points: 2, windowSeconds: 1 });
      await limiter.hit('k');
      // The window opened with that first hit; expiry is timed from after it.
      const opened = Date.now();
      await limiter.hit('k');
      const refused = await limiter.hit('k');
      assert.equal(refused.allowed, false);
      assert.equal(refused.retryAfterSeconds, 1);
      await sleepUntil(opened, 1200);
      assert.deepEqual(await limiter.peek('k'), { allowed: true, remaining: 2, retryAfterSeconds: 0 });
      assert.deepEqual(await limiter.hit('k'), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
    });

    it('blockSeconds keeps a key locked out beyond the window', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('signin', { points: 1, windowSeconds: 1, blockSeconds: 30 });
      assert.equal((await limiter.hit('k')).allowed, true);
      const refused = await limiter.hit('k');
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterSeconds > 25 && refused.retryAfterSeconds <= 30, `retryAfterSeconds ${refused.retryAfterSeconds}`);
    });

    it('take grants what is asked while points are left, then only what is left, and leaves the counter at the limit', async (t) => {
      const { store } = await setup(t);
      const limiter = store.limiter('api', { points: 10, windowSeconds: 60 });
      assert.deepEqual(await limiter.take('k', 4), { granted: 4, remaining: 6, retryAfterSeconds: 0 });
      const partial = await limiter.take('k', 9);
      assert.equal(partial.granted, 6);
      assert.equal(partial.remaining, 0);
      assert.ok(partial.retryAfterSeconds >= 1 && partial.retryAfterSeconds <= 60, `retryAfterSeconds ${partial.retryAfterSeconds}`);
      assert.equal((await limiter.take('k', 3)).granted, 0);
      await limiter.refund('k', 2);
      assert.deepEqual(await limiter.peek('k'), { allowed: true, remaining: 2, retryAfterSeconds: 0 }, 'refused takes left nothing over the limit');
    });

    it('leased counting allows exactly the limit to a burst and says what remains', async (t) => {
      const { store } = await setup(t);
      const rule = { points: 40, windowSeconds: 60 };
      const leased = new LeasedRateLimiter(store.limiter('api', rule), rule);
      t.after(() => leased.close());
      const results = await Promise.all(Array.from({ length: 60 }, () => leased.hit('burst')));
      assert.equal(results.filter((r) => r.allowed).length, 40);
      assert.deepEqual(
        results.filter((r) => r.allowed).map((r) => r.remaining),
        Array.from({ length: 40 }, (_, i) => 39 - i),
      );
      assert.ok(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.retryAfterSeconds >= 1));
      // A slow key leases one point per hit: the store's count is exact after each.
      assert.deepEqual(await leased.hit('slow'), { allowed: true, remaining: 39, retryAfterSeconds: 0 });
      assert.deepEqual(await leased.peek('slow'), { allowed: true, remaining: 39, retryAfterSeconds: 0 });
    });

    it('leased counting on two nodes never allows more than the limit, and gives unspent points back when idle', async (t) => {
      const { store, second } = await setup(t);
      if (!second) return t.skip(NO_SECOND_CONNECTION);
      const rule = { points: 400, windowSeconds: 60 };
      const [a, b] = [new LeasedRateLimiter(store.limiter('api', rule), rule), new LeasedRateLimiter(second.limiter('api', rule), rule)];
      t.after(() => Promise.all([a.close(), b.close()]));
      // Both nodes count one key flat out, a few hits in flight each, until both are refused.
      let allowed = 0;
      async function node(limiter: LeasedRateLimiter): Promise<void> {
        for (let refused = 0; refused < 3; ) {
          const results = await Promise.all(Array.from({ length: 4 }, () => limiter.hit('k')));
          for (const result of results) result.allowed ? allowed++ : refused++;
        }
      }
      await Promise.all([node(a), node(b)]);
      assert.ok(allowed <= 400, `allowed ${allowed} of 400`);
      assert.ok(allowed >= 400 - 2 * Math.floor(400 * 0.05), `allowed ${allowed}: at most each node's spare lease is held back`);
      // Idle keys give their unspent points back within a couple of sweeps.
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(400 - (await a.peek('k')).remaining, allowed, 'the store counts exactly what was allowed');
    });

    it('shares counters across connections', async (t) => {
      const { store, second } = await setup(t);
      if (!second) return t.skip(NO_SECOND_CONNECTION);
      const rule = { points: 3, windowSeconds: 60 };
      const [one, two] = [store.limiter('signin', rule), second.limiter('signin', rule)];
      assert.equal((await one.hit('k')).remaining, 2);
      assert.equal((await two.hit('k')).remaining, 1);
      assert.equal((await one.peek('k')).remaining, 1);
      assert.equal((await two.hit('k')).remaining, 0);
      assert.equal((await one.hit('k')).allowed, false);
      await two.reset('k');
      assert.deepEqual(await one.peek('k'), ALLOWED_FRESH);
    });
  });
}
