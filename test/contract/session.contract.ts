import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { decodeAppKey, generateAppKey } from '../../src/config/app-key.ts';
import { SessionManager } from '../../src/http/session.ts';
import type { SessionStore } from '../../src/session/contract.ts';
import { Encrypter } from '../../src/support/encrypter.ts';
import { NO_SECOND_CONNECTION, sleepUntil, type ContractOptions, type Fixture } from './fixture.ts';

export type SessionFactory = () => Promise<Fixture<SessionStore>>;

export interface SessionContractOptions extends ContractOptions {
  /** The server expires records itself (Redis): prune() then has nothing to do and returns 0. */
  readonly expiresByItself?: boolean;
}

const EMAIL = 'ada.lovelace@example.test';

/** A syntactically valid session id (what the cookie carries). */
function newId(): string {
  return randomBytes(32).toString('base64url');
}

function encrypter(appKey = generateAppKey()): Encrypter {
  return new Encrypter(decodeAppKey(appKey), 'session');
}

/** The behaviour every session driver must have (src/session/contract.ts), and sealing at rest above it. */
export function describeSessionContract(driverName: string, factory: SessionFactory, options: SessionContractOptions = {}): void {
  describe(`session store contract: ${driverName}`, { skip: options.skip, concurrency: true }, () => {
    async function setup(t: TestContext): Promise<Fixture<SessionStore>> {
      const fixture = await factory();
      t.after(() => fixture.close());
      return fixture;
    }

    it('writes, reads and destroys a record; unknown ids read as undefined', async (t) => {
      const { store } = await setup(t);
      const id = newId();
      assert.equal(await store.read(id), undefined);
      await store.write(id, 'payload-1', 60);
      assert.equal(await store.read(id), 'payload-1');
      await store.destroy(id);
      assert.equal(await store.read(id), undefined);
      await store.destroy(id); // destroying twice is harmless
      await store.destroy(newId());
    });

    it('keeps records apart by id', async (t) => {
      const { store } = await setup(t);
      const [a, b] = [newId(), newId()];
      await store.write(a, 'for a', 60);
      await store.write(b, 'for b', 60);
      await store.destroy(a);
      assert.equal(await store.read(a), undefined);
      assert.equal(await store.read(b), 'for b');
    });

    it('expires a record after its TTL', async (t) => {
      const { store } = await setup(t);
      const id = newId();
      await store.write(id, 'short-lived', 1);
      const written = Date.now();
      assert.equal(await store.read(id), 'short-lived');
      await sleepUntil(written, 1200);
      assert.equal(await store.read(id), undefined);
    });

    it('overwriting replaces the payload and the TTL (longer and shorter)', async (t) => {
      const { store } = await setup(t);
      const [extended, shortened] = [newId(), newId()];
      await store.write(extended, 'one', 1);
      await store.write(extended, 'two', 60);
      await store.write(shortened, 'long', 60);
      await store.write(shortened, 'short', 1);
      // Timed from the last write, so a slow (loaded) machine cannot eat the margin.
      const written = Date.now();
      assert.equal(await store.read(extended), 'two');
      assert.equal(await store.read(shortened), 'short');
      await sleepUntil(written, 1200);
      assert.equal(await store.read(extended), 'two');
      assert.equal(await store.read(shortened), undefined);
    });

    it('prune removes expired records only', async (t) => {
      const { store } = await setup(t);
      const [expired, live] = [newId(), newId()];
      const start = Date.now();
      await store.write(expired, 'old', 1);
      await store.write(live, 'current', 60);
      await sleepUntil(start, 1200);
      assert.equal(await store.prune(), options.expiresByItself ? 0 : 1);
      assert.equal(await store.read(live), 'current');
      assert.equal(await store.read(expired), undefined);
      assert.equal(await store.prune(), 0);
    });

    it('answers ping', async (t) => {
      const { store } = await setup(t);
      await store.ping();
    });

    it("lists a user's live records and destroys them all, or all but one", async (t) => {
      const { store } = await setup(t);
      // Unique user ids: a shared store (Redis) keeps other runs' records.
      const ada = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
      const grace = ada + 1;
      const [a1, a2, a3, g1, anonymous] = [newId(), newId(), newId(), newId(), newId()];
      assert.deepEqual(await store.idsOf(ada), []);
      await store.write(a1, 'ada 1', 60, ada);
      await store.write(a2, 'ada 2', 60, ada);
      await store.write(a3, 'ada 3', 60, ada);
      await store.write(g1, 'grace 1', 60, grace);
      await store.write(anonymous, 'nobody', 60);
      await store.write(a2, 'ada 2, touched', 60, ada); // a rewrite is listed once
      assert.deepEqual((await store.idsOf(ada)).sort(), [a1, a2, a3].sort());
      assert.deepEqual(await store.idsOf(grace), [g1]);
      await store.destroy(a3);
      assert.deepEqual((await store.idsOf(ada)).sort(), [a1, a2].sort(), 'a destroyed record is not listed');
      await store.write(a3, 'ada 3 again', 60, ada);
      assert.equal(await store.destroyOf(ada, a2), 2, 'all but the one kept');
      assert.equal(await store.read(a1), undefined);
      assert.equal(await store.read(a3), undefined);
      assert.equal(await store.read(a2), 'ada 2, touched');
      assert.deepEqual(await store.idsOf(ada), [a2]);
      assert.equal(await store.read(g1), 'grace 1', "another user's records stay");
      assert.equal(await store.read(anonymous), 'nobody');
      assert.equal(await store.destroyOf(ada), 1);
      assert.deepEqual(await store.idsOf(ada), []);
      assert.equal(await store.destroyOf(ada), 0);
    });

    it("does not list a user's expired records", async (t) => {
      const { store } = await setup(t);
      const user = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
      const [short, long] = [newId(), newId()];
      const written = Date.now();
      await store.write(short, 'short', 1, user);
      await store.write(long, 'long', 60, user);
      await sleepUntil(written, 1_200);
      assert.deepEqual(await store.idsOf(user), [long]);
      assert.equal(await store.destroyOf(user), 1);
    });

    it("lists and destroys a user's records across connections", async (t) => {
      const { store, second } = await setup(t);
      if (!second) return t.skip(NO_SECOND_CONNECTION);
      const user = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
      const [first, other] = [newId(), newId()];
      await store.write(first, 'one', 60, user);
      await second.write(other, 'two', 60, user);
      assert.deepEqual((await second.idsOf(user)).sort(), [first, other].sort());
      assert.equal(await second.destroyOf(user, other), 1);
      assert.equal(await store.read(first), undefined);
      assert.equal(await store.read(other), 'two');
    });

    it('a record written on one connection is read and destroyed through the other', async (t) => {
      const { store, second } = await setup(t);
      if (!second) return t.skip(NO_SECOND_CONNECTION);
      const id = newId();
      await store.write(id, 'shared', 60);
      assert.equal(await second.read(id), 'shared');
      await second.write(id, 'replaced', 60);
      assert.equal(await store.read(id), 'replaced');
      await second.destroy(id);
      assert.equal(await store.read(id), undefined);
    });

    describe('sealed at rest by the session manager', { concurrency: true }, () => {
      async function committed(t: TestContext, manager: (store: SessionStore) => SessionManager) {
        const { store } = await setup(t);
        const sessions = manager(store);
        const session = sessions.create();
        session.set('email', EMAIL);
        assert.equal(await sessions.commit(session), 'set');
        const raw = await store.read(session.id);
        assert.ok(raw !== undefined, 'the commit wrote a record');
        return { store, sessions, session, raw };
      }

      it('stores neither the plaintext nor the JSON, and loads back with the same key', async (t) => {
        const key = encrypter();
        const { sessions, session, raw } = await committed(t, (s) => new SessionManager(s, key, 60));
        assert.ok(!raw.includes(EMAIL), 'the email is not readable in the store');
        assert.ok(!raw.includes('ada.lovelace'), 'not even part of it');
        assert.ok(!raw.includes('{') && !raw.includes('"'), 'no JSON in the store');
        assert.match(raw, /^[A-Za-z0-9_-]+$/);
        const loaded = await sessions.load(session.id);
        assert.equal(loaded?.get('email'), EMAIL);
        assert.equal(loaded?.csrfToken, session.csrfToken);
      });

      it('yields no session under another APP_KEY', async (t) => {
        const { store, session } = await committed(t, (s) => new SessionManager(s, encrypter(), 60));
        assert.equal(await new SessionManager(store, encrypter(), 60).load(session.id), undefined);
      });

      it('yields no session when the payload is copied to another session id', async (t) => {
        const key = encrypter();
        const { store, sessions, raw } = await committed(t, (s) => new SessionManager(s, key, 60));
        const other = newId();
        await store.write(other, raw, 60);
        assert.equal(await sessions.load(other), undefined);
      });

      it('yields no session when the payload was tampered with', async (t) => {
        const key = encrypter();
        const { store, sessions, session, raw } = await committed(t, (s) => new SessionManager(s, key, 60));
        const bytes = Buffer.from(raw, 'base64url');
        for (const at of [0, 12, 28, bytes.length - 1]) {
          // Flip one bit in the IV, the tag, the first and the last byte of the body.
          const tampered = Buffer.from(bytes);
          tampered[at] = tampered[at]! ^ 0x01;
          await store.write(session.id, tampered.toString('base64url'), 60);
          assert.equal(await sessions.load(session.id), undefined, `byte ${at} flipped`);
        }
        await store.write(session.id, raw.slice(0, 20), 60);
        assert.equal(await sessions.load(session.id), undefined, 'truncated');
        await store.write(session.id, raw, 60);
        assert.equal((await sessions.load(session.id))?.get('email'), EMAIL, 'the untouched payload still opens');
      });

      it('refuses a plaintext record when encryption is on (a forged record does not load)', async (t) => {
        const { store, session } = await committed(t, (s) => new SessionManager(s, undefined, 60));
        assert.equal(await new SessionManager(store, encrypter(), 60).load(session.id), undefined);
      });

      it('stores plain JSON when encryption is off', async (t) => {
        const { sessions, session, raw } = await committed(t, (s) => new SessionManager(s, undefined, 60));
        const parsed = JSON.parse(raw) as { d: Record<string, unknown>; t: number };
        assert.equal(parsed.d.email, EMAIL);
        assert.equal(typeof parsed.t, 'number');
        assert.equal((await sessions.load(session.id))?.get('email'), EMAIL);
      });
    });
  });
}
