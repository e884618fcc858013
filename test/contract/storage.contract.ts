import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import type { ObjectStorage } from '../../src/storage/contract.ts';
import { InvalidContentTypeError, InvalidStorageKeyError } from '../../src/storage/validation.ts';
import { connections, type ContractOptions, type Fixture } from './fixture.ts';

export type StorageFactory = () => Promise<Fixture<ObjectStorage>>;

/** Keys no driver may accept: traversal, absolute paths, empty segments, other characters. */
export const INVALID_KEYS: readonly string[] = [
  '',
  '/etc/passwd',
  '../outside',
  'a/../../outside',
  'a/..',
  '..',
  '.',
  'a/./b',
  'a//b',
  'a/',
  '.hidden',
  'a/.meta',
  'A/b',
  'a\\..\\b',
  'a b',
  'a%2f..%2fb',
  'a\0b',
  'é',
  `a/${'x'.repeat(201)}`,
  'k'.repeat(1025),
];

/** The behaviour every object storage driver must have (src/storage/contract.ts). */
export function describeStorageContract(driverName: string, factory: StorageFactory, options: ContractOptions = {}): void {
  describe(`storage contract: ${driverName}`, { skip: options.skip, concurrency: true }, () => {
    async function setup(t: TestContext): Promise<Fixture<ObjectStorage>> {
      const fixture = await factory();
      t.after(() => fixture.close());
      return fixture;
    }

    it('stores bytes and a content type, and gives them back', async (t) => {
      const { store } = await setup(t);
      const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // every byte value
      await store.put('docs/2024/report.bin', body, { contentType: 'application/x-test' });
      assert.equal(await store.exists('docs/2024/report.bin'), true);
      const got = await store.get('docs/2024/report.bin');
      assert.ok(got);
      assert.deepEqual(got.body, body);
      assert.equal(got.contentType, 'application/x-test');
    });

    it('keeps a content type with parameters as given', async (t) => {
      const { store } = await setup(t);
      await store.put('notes/a.txt', Buffer.from('hi'), { contentType: 'text/plain; charset=utf-8' });
      assert.equal((await store.get('notes/a.txt'))?.contentType, 'text/plain; charset=utf-8');
    });

    it('stores an empty object', async (t) => {
      const { store } = await setup(t);
      await store.put('empty', Buffer.alloc(0), { contentType: 'application/octet-stream' });
      const got = await store.get('empty');
      assert.equal(got?.body.length, 0);
      assert.equal(await store.exists('empty'), true);
    });

    it('answers undefined/false for a missing key, and deleting it is a no-op', async (t) => {
      const { store } = await setup(t);
      assert.equal(await store.get('nothing/here'), undefined);
      assert.equal(await store.exists('nothing/here'), false);
      await store.delete('nothing/here');
      await store.put('some/thing', Buffer.from('x'), { contentType: 'text/plain' });
      assert.equal(await store.get('some'), undefined, 'a prefix of a key is not an object');
      assert.equal(await store.exists('some'), false);
      assert.equal(await store.get('some/thing/deeper'), undefined, 'nor is a path below an object');
    });

    it('overwrites: body and content type are replaced, a shorter body leaves no tail', async (t) => {
      const { store } = await setup(t);
      await store.put('avatar', Buffer.from('a long first version'), { contentType: 'image/png' });
      await store.put('avatar', Buffer.from('short'), { contentType: 'image/jpeg' });
      const got = await store.get('avatar');
      assert.equal(got?.body.toString(), 'short');
      assert.equal(got?.contentType, 'image/jpeg');
    });

    it('deletes: the key is gone, others stay', async (t) => {
      const { store } = await setup(t);
      await store.put('u/1/a', Buffer.from('a'), { contentType: 'text/plain' });
      await store.put('u/1/b', Buffer.from('b'), { contentType: 'text/plain' });
      await store.delete('u/1/a');
      assert.equal(await store.get('u/1/a'), undefined);
      assert.equal(await store.exists('u/1/a'), false);
      assert.equal((await store.get('u/1/b'))?.body.toString(), 'b');
      await store.put('u/1/a', Buffer.from('again'), { contentType: 'text/html' });
      assert.deepEqual(await store.get('u/1/a'), { body: Buffer.from('again'), contentType: 'text/html' });
    });

    it('keeps similar keys apart', async (t) => {
      const { store } = await setup(t);
      const keys = ['x/a', 'x/a.b', 'x/a-b', 'x/a_b', 'x/b/a', 'x/ab'];
      await Promise.all(keys.map((key) => store.put(key, Buffer.from(key), { contentType: 'text/plain' })));
      for (const key of keys) assert.equal((await store.get(key))?.body.toString(), key);
    });

    it('refuses invalid keys on every method (traversal, absolute, empty segments, other characters)', async (t) => {
      const { store } = await setup(t);
      for (const key of INVALID_KEYS) {
        const label = `key ${JSON.stringify(key).slice(0, 40)}`;
        await assert.rejects(store.put(key, Buffer.from('x'), { contentType: 'text/plain' }), InvalidStorageKeyError, `put ${label}`);
        await assert.rejects(store.get(key), InvalidStorageKeyError, `get ${label}`);
        await assert.rejects(store.exists(key), InvalidStorageKeyError, `exists ${label}`);
        await assert.rejects(store.delete(key), InvalidStorageKeyError, `delete ${label}`);
      }
    });

    it('refuses a content type that is not a MIME type', async (t) => {
      const { store } = await setup(t);
      for (const contentType of ['', 'png', 'image/', 'image/png\r\nset-cookie: x=1', 'text/html; charset']) {
        await assert.rejects(store.put('k', Buffer.from('x'), { contentType }), InvalidContentTypeError, JSON.stringify(contentType));
      }
      assert.equal(await store.exists('k'), false);
    });

    it('concurrent puts of one key (from every connection) leave one of them, whole, with its own content type', async (t) => {
      const fixture = await setup(t);
      const stores = connections(fixture);
      const writes = Array.from({ length: 12 }, (_, i) => ({ body: randomBytes(64 * 1024 + i * 4096), contentType: `application/x-writer-${i}` }));
      const readings: Promise<unknown>[] = [];
      await Promise.all(
        writes.map((w, i) => {
          // Readers alongside the writers: each sees nothing yet or one whole object.
          readings.push(stores[(i + 1) % stores.length]!.get('race/object').then((got) => assertOneOf(got, writes, true)));
          return stores[i % stores.length]!.put('race/object', w.body, { contentType: w.contentType });
        }),
      );
      await Promise.all(readings);
      for (const store of stores) assertOneOf(await store.get('race/object'), writes, false);
    });

    it('pings', async (t) => {
      const { store } = await setup(t);
      await store.ping();
    });
  });
}

function assertOneOf(got: { body: Buffer; contentType: string } | undefined, writes: readonly { body: Buffer; contentType: string }[], mayBeMissing: boolean): void {
  if (got === undefined) {
    assert.ok(mayBeMissing, 'the object is missing after every put finished');
    return;
  }
  const match = writes.find((w) => w.body.equals(got.body));
  assert.ok(match, `the body (${got.body.length} bytes) is none of the bodies written: a torn or mixed write`);
  if (!mayBeMissing) assert.equal(got.contentType, match.contentType, 'the content type belongs to another put than the body');
}
