import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalCache } from '../../src/invalidation/local-cache.ts';
import { LocalInvalidationBus } from '../../src/invalidation/local.ts';
import { CachedSessionStore } from '../../src/session/cached.ts';
import { MemorySessionStore } from '../../src/session/memory.ts';

describe('LocalCache: in-process copies that an invalidation always wins against', () => {
  it('a value read before an invalidation is not kept after it (the store answer came back late)', () => {
    const cache = new LocalCache<string, string>(10_000, 10);
    const before = cache.generation;
    cache.delete('s1'); // the invalidation overtakes the store's answer
    cache.set('s1', 'stale', before);
    assert.equal(cache.get('s1'), undefined);
    cache.set('s1', 'fresh', cache.generation);
    assert.equal(cache.get('s1'), 'fresh');
  });

  it('expires with its TTL and never outlives the source record', () => {
    const cache = new LocalCache<string, string>(10_000, 10);
    cache.set('a', 'x', cache.generation, 1_000);
    assert.equal(cache.get('a', 10_999), 'x');
    assert.equal(cache.get('a', 11_000), undefined);
    cache.set('b', 'y', cache.generation, 1_000, 1_500);
    assert.equal(cache.get('b', 1_499), 'y');
    assert.equal(cache.get('b', 1_500), undefined);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new LocalCache<number, number>(10_000, 2);
    for (const n of [1, 2, 3]) cache.set(n, n, cache.generation);
    assert.equal(cache.size, 2);
    assert.equal(cache.get(1), undefined);
    assert.equal(cache.get(3), 3);
  });
});

describe('CachedSessionStore', () => {
  it('answers from memory while the bus is live, and from the store when it is not', async () => {
    const inner = new MemorySessionStore();
    const id = 'x'.repeat(43);
    await inner.write(id, 'one', 60);
    for (const live of [true, false]) {
      const store = new CachedSessionStore(inner, new LocalInvalidationBus(live));
      await inner.write(id, 'one', 60);
      assert.equal(await store.read(id), 'one');
      await inner.write(id, 'two', 60); // behind its back, as another process without a bus would
      assert.equal(await store.read(id), live ? 'one' : 'two');
      await store.write(id, 'three', 60); // through it: invalidated
      assert.equal(await store.read(id), 'three');
    }
  });
});
