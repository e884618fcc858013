import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { CacheStore } from '../../src/cache/contract.ts';
import { Cache } from '../../src/cache/repository.ts';
import { connections, NO_SECOND_CONNECTION, sleepUntil, type ContractOptions, type Fixture } from './fixture.ts';

/** The cache store a driver entry builds, configured as the manager would for CACHE_PREFIX=`prefix`. */
export interface CacheFixture extends Fixture<CacheStore> {
  /** Another store on the same backing store under another CACHE_PREFIX (for flush scoping). */
  withPrefix(prefix: string): CacheStore;
}

export type CacheFactory = (options: { prefix: string }) => Promise<CacheFixture>;

// An underscore in the prefix: a LIKE-based flush must escape it (see the flush test).
const PREFIX = 'app_1';

/** The behaviour every cache driver must have (src/cache/contract.ts). */
export function describeCacheContract(driverName: string, factory: CacheFactory, options: ContractOptions = {}): void {
  // Each test builds its own fixture, so they can run concurrently and the TTL waits overlap.
  describe(`cache contract: ${driverName}`, { skip: options.skip, concurrency: true }, () => {
    async function setup(t: TestContext): Promise<{ fixture: CacheFixture; cache: Cache; caches: Cache[] }> {
      const fixture = await factory({ prefix: PREFIX });
      t.after(() => fixture.close());
      return { fixture, cache: new Cache(fixture.store, PREFIX), caches: connections(fixture).map((s) => new Cache(s, PREFIX)) };
    }

    it('gets, sets and deletes; a missing key is undefined', async (t) => {
      const { cache } = await setup(t);
      assert.equal(await cache.get('missing'), undefined);
      await cache.set('greeting', 'hello');
      assert.equal(await cache.get('greeting'), 'hello');
      await cache.set('greeting', 'hi again');
      assert.equal(await cache.get('greeting'), 'hi again');
      assert.equal(await cache.delete('greeting'), true);
      assert.equal(await cache.get('greeting'), undefined);
      assert.equal(await cache.delete('greeting'), false);
    });

    it('keeps every JSON type, including falsy values', async (t) => {
      const { cache } = await setup(t);
      const values = { zero: 0, empty: '', no: false, nothing: null, list: [1, 'two', [3]], nested: { a: { b: [true, null] } }, float: 1.5 };
      for (const [key, value] of Object.entries(values)) await cache.set(key, value);
      for (const [key, value] of Object.entries(values)) assert.deepEqual(await cache.get(key), value, key);
    });

    it('getMany answers in key order with undefined for the missing ones', async (t) => {
      const { cache } = await setup(t);
      await cache.set('a', 1);
      await cache.set('c', { three: 3 });
      assert.deepEqual(await cache.getMany(['a', 'b', 'c']), [1, undefined, { three: 3 }]);
      assert.deepEqual(await cache.getMany([]), []);
    });

    it('returns copies: mutating what came back does not change what is stored', async (t) => {
      const { cache } = await setup(t);
      const original = { name: 'Ada', tags: ['x'] };
      await cache.set('user', original);
      original.tags.push('changed after set');
      const first = (await cache.get('user')) as { name: string; tags: string[] };
      assert.deepEqual(first, { name: 'Ada', tags: ['x'] });
      first.name = 'mutated';
      first.tags.push('y');
      assert.deepEqual(await cache.get('user'), { name: 'Ada', tags: ['x'] });
      const [many] = (await cache.getMany(['user'])) as [{ tags: string[] }];
      many.tags.length = 0;
      assert.deepEqual(await cache.get('user'), { name: 'Ada', tags: ['x'] });
    });

    it('expires a key after its TTL; no TTL (or 0) keeps it; set() replaces the TTL', async (t) => {
      const { cache } = await setup(t);
      await cache.set('short', 'soon gone', 1);
      await cache.set('unread', 'soon gone', 1);
      await cache.set('forever', 'stays');
      await cache.set('zero', 'stays too', 0);
      await cache.set('renewed', 'first', 1);
      await cache.set('renewed', 'second');
      await cache.set('shortened', 'first');
      await cache.set('shortened', 'second', 1);
      // Expiry checks time from after the last write, so a slow (loaded) machine cannot eat the margin.
      const written = Date.now();
      assert.equal(await cache.get('short'), 'soon gone');
      await sleepUntil(written, 1200);
      assert.equal(await cache.get('short'), undefined);
      assert.deepEqual(await cache.getMany(['short', 'forever', 'zero', 'renewed', 'shortened']), [undefined, 'stays', 'stays too', 'second', undefined]);
      // Deleting an expired key (not read since it expired) reports it absent, as Redis's DEL does.
      assert.equal(await cache.delete('unread'), false);
      assert.equal(await cache.delete('short'), false);
    });

    it('add() stores only when the key is absent, and again once it expired', async (t) => {
      const { cache } = await setup(t);
      const start = Date.now();
      assert.equal(await cache.add('slot', 'first', 1), true);
      assert.equal(await cache.add('slot', 'second', 1), false);
      assert.equal(await cache.get('slot'), 'first');
      await sleepUntil(start, 1200);
      assert.equal(await cache.add('slot', 'third', 60), true);
      assert.equal(await cache.get('slot'), 'third');
      assert.equal(await cache.add('slot', 'fourth'), false);
      assert.equal(await cache.get('slot'), 'third');
    });

    it('add() on a key set without a TTL refuses', async (t) => {
      const { cache } = await setup(t);
      await cache.set('kept', 'v');
      assert.equal(await cache.add('kept', 'other'), false);
      assert.equal(await cache.get('kept'), 'v');
    });

    it('increment starts an absent key at 0 + by, counts up and down', async (t) => {
      const { cache } = await setup(t);
      assert.equal(await cache.increment('hits'), 1);
      assert.equal(await cache.increment('hits'), 2);
      assert.equal(await cache.increment('hits', 5), 7);
      assert.equal(await cache.increment('hits', -10), -3);
      assert.equal(await cache.get('hits'), -3);
      assert.equal(await cache.increment('down', -2), -2);
      await cache.set('preset', 40);
      assert.equal(await cache.increment('preset', 2), 42);
      assert.equal(await cache.get('preset'), 42);
    });

    it('increment gives a new key the TTL and does not extend it on later increments', async (t) => {
      const { cache } = await setup(t);
      const start = Date.now();
      assert.equal(await cache.increment('window', 1, 1), 1);
      const created = Date.now();
      await sleepUntil(start, 500);
      // Were the TTL restarted here, the key would live until ~1.5 s.
      assert.equal(await cache.increment('window', 1, 1), 2);
      assert.equal(await cache.get('window'), 2);
      await sleepUntil(created, 1250);
      assert.equal(await cache.get('window'), undefined);
      // Once expired it starts again from zero, with a fresh TTL.
      assert.equal(await cache.increment('window', 1, 60), 1);
    });

    it('200 concurrent increments (over every connection) end at exactly 200', async (t) => {
      const { caches } = await setup(t);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => caches[i % caches.length]!.increment('race')));
      assert.equal(await caches[0]!.get('race'), 200);
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
        'every increment saw a distinct value',
      );
    });

    it('flush removes this prefix’s keys and leaves another prefix’s alone', async (t) => {
      const { fixture, cache } = await setup(t);
      const other = new Cache(fixture.withPrefix('neighbour'), 'neighbour');
      // `appX1` matches `app_1` where `_` is a wildcard: it must survive too.
      const lookalike = new Cache(fixture.withPrefix('appX1'), 'appX1');
      await cache.set('a', 1);
      await cache.set('b', 2, 60);
      await other.set('a', 'theirs');
      await lookalike.set('a', 'lookalike');
      await cache.flush();
      assert.deepEqual(await cache.getMany(['a', 'b']), [undefined, undefined]);
      assert.equal(await other.get('a'), 'theirs');
      assert.equal(await lookalike.get('a'), 'lookalike');
      await cache.set('a', 'after flush');
      assert.equal(await cache.get('a'), 'after flush');
    });

    it('remember() computes once and then serves the cached value', async (t) => {
      const { cache } = await setup(t);
      let calls = 0;
      const compute = async () => {
        calls += 1;
        return { computed: calls };
      };
      assert.deepEqual(await cache.remember('expensive', 60, compute), { computed: 1 });
      assert.deepEqual(await cache.remember('expensive', 60, compute), { computed: 1 });
      assert.equal(calls, 1);
      assert.deepEqual(await cache.get('expensive'), { computed: 1 });
    });

    it('answers ping', async (t) => {
      const { fixture } = await setup(t);
      await fixture.store.ping();
    });

    it('a write on one connection is seen, replaced and deleted through the other', async (t) => {
      const { fixture } = await setup(t);
      if (!fixture.second) return t.skip(NO_SECOND_CONNECTION);
      const [one, two] = [new Cache(fixture.store, PREFIX), new Cache(fixture.second, PREFIX)];
      await one.set('shared', { v: 1 });
      assert.deepEqual(await two.get('shared'), { v: 1 });
      assert.equal(await two.add('shared', 'no'), false);
      await two.set('shared', { v: 2 });
      assert.deepEqual(await one.get('shared'), { v: 2 });
      assert.equal(await two.delete('shared'), true);
      assert.equal(await one.get('shared'), undefined);
      await one.set('gone', 1);
      await two.flush();
      assert.equal(await one.get('gone'), undefined);
    });
  });
}

/** Memory only: the store is an LRU bounded by CACHE_MAX_ENTRIES. */
export function describeLruEviction(driverName: string, makeStore: (maxEntries: number) => CacheStore): void {
  describe(`cache LRU eviction: ${driverName}`, () => {
    it('evicts the least recently used entry, counting reads as use', async () => {
      const cache = new Cache(makeStore(3), PREFIX);
      await cache.set('a', 1);
      await cache.set('b', 2);
      await cache.set('c', 3);
      assert.equal(await cache.get('a'), 1);
      await cache.set('d', 4);
      assert.deepEqual(await cache.getMany(['a', 'b', 'c', 'd']), [1, undefined, 3, 4]);
    });
  });
}
