import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { LockStore } from '../../src/lock/contract.ts';
import { Locks } from '../../src/lock/locks.ts';
import { connections, NO_SECOND_CONNECTION, sleep, sleepUntil, type ContractOptions, type Fixture } from './fixture.ts';

export type LockFactory = () => Promise<Fixture<LockStore>>;

/** The behaviour every lock driver must have (src/lock/contract.ts), and Locks on top of it. */
export function describeLockContract(driverName: string, factory: LockFactory, options: ContractOptions = {}): void {
  describe(`lock contract: ${driverName}`, { skip: options.skip, concurrency: true }, () => {
    async function setup(t: TestContext): Promise<Fixture<LockStore>> {
      const fixture = await factory();
      t.after(() => fixture.close());
      return fixture;
    }

    it('acquires and releases; a released lock can be taken again', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.acquire('job', 'owner-a', 5000), true);
      assert.equal(await store.release('job', 'owner-a'), true);
      assert.equal(await store.release('job', 'owner-a'), false, 'already released');
      assert.equal(await store.acquire('job', 'owner-b', 5000), true);
    });

    it('keeps different lock names apart', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.acquire('one', 'owner-a', 5000), true);
      assert.equal(await store.acquire('two', 'owner-b', 5000), true);
      assert.equal(await store.release('one', 'owner-a'), true);
      assert.equal(await store.acquire('two', 'owner-c', 5000), false);
    });

    it('refuses a second owner until the holder releases', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.acquire('job', 'owner-a', 5000), true);
      assert.equal(await store.acquire('job', 'owner-b', 5000), false);
      assert.equal(await store.release('job', 'owner-a'), true);
      assert.equal(await store.acquire('job', 'owner-b', 5000), true);
    });

    it('refuses a second owner until the lock expires; the late holder cannot then release it', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.acquire('job', 'owner-a', 300), true);
      const acquired = Date.now();
      assert.equal(await store.acquire('job', 'owner-b', 300), false);
      await sleepUntil(acquired, 400);
      assert.equal(await store.release('job', 'owner-a'), false, 'an expired lock is no longer held, so not released');
      assert.equal(await store.acquire('job', 'owner-b', 5000), true);
      assert.equal(await store.release('job', 'owner-a'), false, 'the expired holder does not free the new holder’s lock');
      assert.equal(await store.acquire('job', 'owner-c', 5000), false);
    });

    it('ignores a release by someone who does not hold the lock', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.release('free', 'nobody'), false);
      assert.equal(await store.acquire('job', 'owner-a', 5000), true);
      assert.equal(await store.release('job', 'owner-b'), false);
      assert.equal(await store.acquire('job', 'owner-c', 5000), false, 'still held by owner-a');
      assert.equal(await store.release('job', 'owner-a'), true);
    });

    it('lets the same owner re-acquire, which extends the expiry', async (t) => {
      const { store } = await setup(t);
      const start = Date.now();
      assert.equal(await store.acquire('job', 'owner-a', 600), true);
      await sleepUntil(start, 300);
      const extendedAt = Date.now();
      assert.equal(await store.acquire('job', 'owner-a', 600), true);
      await sleepUntil(start, 700);
      // The first TTL has run out; only the extension (to ~900 ms) keeps others away now.
      assert.equal(await store.acquire('job', 'owner-b', 600), false);
      await sleepUntil(extendedAt, 650);
      assert.equal(await store.acquire('job', 'owner-b', 600), true);
    });

    it('extend keeps the lock held past its first TTL, and the holder can still release it', async (t) => {
      const { store } = await setup(t);
      const start = Date.now();
      assert.equal(await store.acquire('job', 'owner-a', 300), true);
      assert.equal(await store.extend('job', 'owner-a', 700), true);
      await sleepUntil(start, 450);
      // The first TTL has run out; only the extension keeps others away now.
      assert.equal(await store.acquire('job', 'owner-b', 5000), false);
      assert.equal(await store.release('job', 'owner-a'), true);
      assert.equal(await store.acquire('job', 'owner-b', 5000), true);
    });

    it('extend sets the expiry from now, which may shorten it', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.acquire('job', 'owner-a', 5000), true);
      const shortened = Date.now();
      assert.equal(await store.extend('job', 'owner-a', 200), true);
      await sleepUntil(shortened, 350);
      assert.equal(await store.acquire('job', 'owner-b', 5000), true);
    });

    it('extend by someone who does not hold the lock fails and changes nothing', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.extend('free', 'owner-a', 5000), false, 'extend does not take a free lock');
      assert.equal(await store.acquire('free', 'owner-b', 5000), true);
      const start = Date.now();
      assert.equal(await store.acquire('job', 'owner-a', 300), true);
      assert.equal(await store.extend('job', 'owner-b', 5000), false);
      await sleepUntil(start, 400);
      assert.equal(await store.acquire('job', 'owner-b', 5000), true, 'the holder’s expiry was left as it was');
      assert.equal(await store.extend('job', 'owner-a', 5000), false, 'the old holder cannot extend the new holder’s lock');
      assert.equal(await store.acquire('job', 'owner-c', 5000), false, 'owner-b still holds it');
    });

    it('extend after expiry fails, even when no one took the lock meanwhile', async (t) => {
      const { store } = await setup(t);
      const start = Date.now();
      assert.equal(await store.acquire('job', 'owner-a', 200), true);
      await sleepUntil(start, 300);
      assert.equal(await store.extend('job', 'owner-a', 5000), false, 'a lapsed lock is not resurrected');
      assert.equal(await store.acquire('job', 'owner-b', 5000), true);
      assert.equal(await store.release('job', 'owner-a'), false);
      assert.equal(await store.release('job', 'owner-b'), true);
    });

    it('Locks.acquire gives a handle that extends and releases; undefined while someone holds the lock', async (t) => {
      const { store } = await setup(t);
      const locks = new Locks(store);
      const start = Date.now();
      const lock = await locks.acquire('job', 300);
      assert.ok(lock);
      assert.equal(lock.name, 'job');
      assert.equal(await locks.acquire('job', 5000), undefined);
      assert.equal(await lock.extend(700), true);
      await sleepUntil(start, 450);
      assert.equal(await locks.acquire('job', 5000), undefined, 'held past the first TTL');
      assert.equal(await lock.release(), true);
      assert.equal(await lock.release(), false, 'already released');
      assert.equal(await lock.extend(5000), false, 'a released lock is not taken back');
      const named = await locks.acquire('job', 5000, 'node-1:task');
      assert.equal(named?.owner, 'node-1:task');
      assert.equal(await store.acquire('job', 'someone', 5000), false);
      assert.equal(await locks.restore('job', 'node-1:task').release(), true, 'a restored handle releases the owner’s lock');
      assert.equal(await store.acquire('job', 'someone', 5000), true);
    });

    it('withLock: of 20 concurrent attempts (over every connection) exactly one runs while the lock is held', async (t) => {
      const fixture = await setup(t);
      // The holder keeps the lock until all 20 acquire() calls have answered, however slow the store.
      let answered = 0;
      let everyoneAnswered!: () => void;
      const allAsked = new Promise<void>((resolve) => (everyoneAnswered = resolve));
      const counted = (store: LockStore): LockStore => ({
        driver: store.driver,
        acquire: async (name, owner, ttlMs) => {
          const acquired = await store.acquire(name, owner, ttlMs);
          if (++answered === 20) everyoneAnswered();
          return acquired;
        },
        extend: (name, owner, ttlMs) => store.extend(name, owner, ttlMs),
        release: (name, owner) => store.release(name, owner),
        close: () => store.close(),
      });
      const locks = connections(fixture).map((s) => new Locks(counted(s)));
      let running = 0;
      let ran = 0;
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          locks[i % locks.length]!.withLock('exclusive', 5000, async () => {
            running += 1;
            ran += 1;
            assert.equal(running, 1, 'never two holders at once');
            await allAsked;
            running -= 1;
            return i;
          }),
        ),
      );
      assert.equal(answered, 20);
      assert.equal(outcomes.filter((o) => o.acquired).length, 1);
      assert.equal(ran, 1);
      // withLock released it: anyone can take it now.
      assert.equal(await fixture.store.acquire('exclusive', 'after', 5000), true);
    });

    it('withLock releases the lock when the work throws', async (t) => {
      const { store } = await setup(t);
      const locks = new Locks(store);
      await assert.rejects(locks.withLock('job', 5000, async () => Promise.reject(new Error('boom'))), /boom/);
      assert.deepEqual(await locks.withLock('job', 5000, async () => 'ran'), { acquired: true, value: 'ran' });
    });

    it('block() waits for the holder to finish, then runs; it gives up after waitMs', async (t) => {
      const fixture = await setup(t);
      const [first, other] = connections(fixture).map((s) => new Locks(s));
      const waiting = (other ?? first)!;
      const events: string[] = [];
      // Resolves once the holder is inside its work, i.e. holds the lock.
      const holding = (work: () => Promise<void>) => {
        let held!: () => void;
        const inside = new Promise<void>((resolve) => (held = resolve));
        const done = first!.withLock('job', 5000, async () => {
          held();
          await work();
        });
        return { inside, done };
      };

      const holder = holding(async () => {
        events.push('holder start');
        await sleep(200);
        events.push('holder end');
      });
      await holder.inside;
      const result = await waiting.block('job', 5000, 2000, async () => {
        events.push('waiter runs');
        return 'done';
      });
      assert.equal(result, 'done');
      assert.deepEqual(await holder.done, { acquired: true, value: undefined });
      assert.deepEqual(events, ['holder start', 'holder end', 'waiter runs']);

      const longHolder = holding(() => sleep(500));
      await longHolder.inside;
      await assert.rejects(waiting.block('job', 5000, 100, async () => 'never'), /timed out after 100 ms waiting for lock "job"/);
      await longHolder.done;
    });

    it('a lock held through one connection excludes the other (and is extended and released through either)', async (t) => {
      const { store, second } = await setup(t);
      if (!second) return t.skip(NO_SECOND_CONNECTION);
      assert.equal(await store.acquire('job', 'owner-a', 5000), true);
      assert.equal(await second.acquire('job', 'owner-b', 5000), false);
      assert.equal(await second.release('job', 'owner-b'), false);
      assert.equal(await second.extend('job', 'owner-b', 5000), false);
      assert.equal(await second.extend('job', 'owner-a', 5000), true, 'the owner may extend through any connection');
      assert.equal(await second.release('job', 'owner-a'), true, 'the owner may release through any connection');
      assert.equal(await second.acquire('job', 'owner-b', 5000), true);
      assert.equal(await store.acquire('job', 'owner-a', 5000), false);
    });
  });
}
