import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { ObjectTooLargeError, type ObjectInfo, type ObjectStorage } from '../../src/storage/contract.ts';
import { InvalidContentTypeError, InvalidStorageKeyError } from '../../src/storage/validation.ts';
import { connections, sleep, type ContractOptions, type Fixture } from './fixture.ts';

export interface StorageContractOptions extends ContractOptions {
  /** Whether the driver hands out signed URLs (S3) or answers undefined (local). */
  readonly signedUrls: boolean;
  /** A body size above the driver's multipart part size (S3: > 5 MiB); the local driver takes any. */
  readonly largeBytes: number;
  /**
   * Set when the server behind the driver, not the driver, breaks the whole-object rule under
   * concurrent puts of one key: s3rver writes an object's file and its metadata file in place
   * and fails some of the racing requests (AWS S3, MinIO and R2 replace an object atomically).
   * The concurrency test is then skipped with this reason.
   */
  readonly serverTearsConcurrentPuts?: string;
}

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
export function describeStorageContract(driverName: string, factory: StorageFactory, options: StorageContractOptions): void {
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
      if (options.serverTearsConcurrentPuts) return t.skip(options.serverTearsConcurrentPuts);
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

    it('streams a put in and a get out, with the content type and size', async (t) => {
      const { store } = await setup(t);
      const chunks = Array.from({ length: 20 }, (_, i) => randomBytes(1000 + i));
      const { size } = await store.putStream('stream/one', Readable.from(chunks), { contentType: 'application/pdf' });
      const whole = Buffer.concat(chunks);
      assert.equal(size, whole.length);
      const got = await store.getStream('stream/one');
      assert.ok(got);
      assert.equal(got.contentType, 'application/pdf');
      assert.equal(got.size, whole.length);
      assert.deepEqual(await collectBytes(got.body), whole);
      assert.deepEqual((await store.get('stream/one'))?.body, whole, 'get sees what putStream stored');
      assert.equal(await store.getStream('stream/missing'), undefined);
      const empty = await store.putStream('stream/empty', Readable.from([]), { contentType: 'text/plain' });
      assert.equal(empty.size, 0);
      const emptyStream = await store.getStream('stream/empty');
      assert.equal(emptyStream?.size, 0);
      assert.deepEqual(await collectBytes(emptyStream!.body), Buffer.alloc(0));
    });

    it(`streams a large object (${(options.largeBytes / 1024 / 1024).toFixed(1)} MiB: several multipart parts on S3) byte for byte`, async (t) => {
      const { store } = await setup(t);
      const source = generated(options.largeBytes, 'large');
      const { size } = await store.putStream('big/file.bin', source.stream, { contentType: 'application/octet-stream', maxBytes: options.largeBytes });
      assert.equal(size, options.largeBytes, 'exactly the limit is allowed');
      const got = await store.getStream('big/file.bin');
      assert.ok(got);
      assert.equal(got.size, options.largeBytes);
      const hash = createHash('sha256');
      for await (const chunk of got.body) hash.update(chunk as Buffer);
      assert.equal(hash.digest('hex'), source.sha256);
    });

    it('refuses a streamed body over maxBytes while reading it, and stores nothing (the old object stays)', async (t) => {
      const { store } = await setup(t);
      await store.put('limited/a', Buffer.from('old'), { contentType: 'text/plain' });
      let produced = 0;
      const endless = new Readable({
        read() {
          produced += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024, 1));
        },
      });
      await assert.rejects(store.putStream('limited/a', endless, { contentType: 'text/plain', maxBytes: 100_000 }), ObjectTooLargeError);
      assert.ok(produced < 20 * 1024 * 1024, `the reading stopped early (${produced} bytes read from an endless source)`);
      assert.deepEqual(await store.get('limited/a'), { body: Buffer.from('old'), contentType: 'text/plain' });
      await assert.rejects(store.putStream('limited/b', Readable.from([Buffer.alloc(101)]), { contentType: 'text/plain', maxBytes: 100 }), ObjectTooLargeError);
      assert.equal(await store.exists('limited/b'), false);
      assert.deepEqual(await collectKeys(store.list('limited/')), ['limited/a']);
    });

    it('keeps the old object when the streamed source fails midway', async (t) => {
      const { store } = await setup(t);
      await store.put('failing/a', Buffer.from('old'), { contentType: 'text/plain' });
      async function* failing() {
        yield Buffer.alloc(10_000, 2);
        throw new Error('the client went away');
      }
      await assert.rejects(store.putStream('failing/a', Readable.from(failing()), { contentType: 'text/plain' }), /the client went away/);
      assert.equal((await store.get('failing/a'))?.body.toString(), 'old');
    });

    it('lists by prefix: keys, sizes and modification times', async (t) => {
      const { store } = await setup(t);
      const before = Date.now() - 5_000;
      for (const [key, size] of [['tasks/1/a', 1], ['tasks/1/b', 2], ['tasks/1/sub/c', 3], ['tasks/10/d', 4], ['tasks/2/e', 5], ['other', 6]] as const) {
        await store.put(key, Buffer.alloc(size), { contentType: 'text/plain' });
      }
      const listed = await collect(store.list('tasks/1/'));
      assert.deepEqual(listed.map((o) => [o.key, o.size]).sort(), [['tasks/1/a', 1], ['tasks/1/b', 2], ['tasks/1/sub/c', 3]]);
      for (const o of listed) assert.ok(o.lastModified instanceof Date && o.lastModified.getTime() > before && o.lastModified.getTime() < Date.now() + 5_000, `${o.key}: ${o.lastModified}`);
      assert.deepEqual(await collectKeys(store.list('tasks/1')), ['tasks/1/a', 'tasks/1/b', 'tasks/1/sub/c', 'tasks/10/d'], 'a prefix may end inside a segment');
      assert.deepEqual(await collectKeys(store.list('tasks/1/a')), ['tasks/1/a']);
      assert.deepEqual(await collectKeys(store.list('')), ['other', 'tasks/1/a', 'tasks/1/b', 'tasks/1/sub/c', 'tasks/10/d', 'tasks/2/e']);
      assert.deepEqual(await collectKeys(store.list('nothing/')), []);
      await store.delete('tasks/1/b');
      assert.deepEqual(await collectKeys(store.list('tasks/1/')), ['tasks/1/a', 'tasks/1/sub/c'], 'a deleted key is not listed');
      for (const prefix of ['../', '/abs', 'a//', '.hidden', 'A/']) {
        await assert.rejects(collect(store.list(prefix)), InvalidStorageKeyError, `prefix ${prefix}`);
      }
    });

    it('refuses invalid keys on the streaming methods and signed URLs', async (t) => {
      const { store } = await setup(t);
      for (const key of ['../outside', '/etc/passwd', 'a//b', '.hidden']) {
        await assert.rejects(store.putStream(key, Readable.from([Buffer.from('x')]), { contentType: 'text/plain' }), InvalidStorageKeyError);
        await assert.rejects(store.getStream(key), InvalidStorageKeyError);
        await assert.rejects(store.signedUrl(key, { expiresIn: 60 }), InvalidStorageKeyError);
      }
      await assert.rejects(store.putStream('k', Readable.from([Buffer.from('x')]), { contentType: 'image/' }), InvalidContentTypeError);
      assert.equal(await store.exists('k'), false);
    });

    if (options.signedUrls) {
      it('gives a signed URL that plain fetch can GET, until it expires', async (t) => {
        const { store } = await setup(t);
        const body = randomBytes(3000);
        await store.put('signed/report.pdf', body, { contentType: 'application/pdf' });
        const url = await store.signedUrl('signed/report.pdf', { expiresIn: 300 });
        assert.ok(url);
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'application/pdf');
        assert.deepEqual(Buffer.from(await response.arrayBuffer()), body);
        // s3rver checks a presigned URL's key id and expiry but neither its SigV4 signature nor bucket
        // privacy, so forged or unsigned URLs are not tested here: that is S3's side of the contract.
        const short = await store.signedUrl('signed/report.pdf', { expiresIn: 1 });
        assert.ok(short);
        await sleep(2_100);
        const expired = await fetch(short, { signal: AbortSignal.timeout(10_000) });
        await expired.arrayBuffer();
        assert.equal(expired.status, 403, 'an expired URL is refused');
        await assert.rejects(store.signedUrl('signed/report.pdf', { expiresIn: 0 }), RangeError);
        await assert.rejects(store.signedUrl('signed/report.pdf', { expiresIn: 8 * 24 * 3600 }), RangeError);
      });
    } else {
      it('gives no signed URL (the app serves the bytes itself)', async (t) => {
        const { store } = await setup(t);
        await store.put('signed/x', Buffer.from('x'), { contentType: 'text/plain' });
        assert.equal(await store.signedUrl('signed/x', { expiresIn: 60 }), undefined);
      });
    }
  });
}

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function collectKeys(iterable: AsyncIterable<ObjectInfo>): Promise<string[]> {
  return (await collect(iterable)).map((o) => o.key).sort();
}

async function collectBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `size` bytes in 256 KiB chunks from a seeded hash chain (no big buffer in memory), and their SHA-256. */
function generated(size: number, seed: string): { stream: Readable; sha256: string } {
  const CHUNK = 256 * 1024;
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let block = createHash('sha256').update(seed).digest();
  for (let done = 0; done < size; done += CHUNK) {
    const chunk = Buffer.alloc(Math.min(CHUNK, size - done));
    for (let i = 0; i < chunk.length; i += 32) {
      block = createHash('sha256').update(block).digest();
      block.copy(chunk, i);
    }
    chunks.push(chunk);
    hash.update(chunk);
  }
  return { stream: Readable.from(chunks), sha256: hash.digest('hex') };
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
