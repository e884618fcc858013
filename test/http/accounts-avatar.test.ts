import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { AVATAR_MAX_BYTES, AVATAR_MAX_SIDE, AVATAR_THUMBNAIL_JOB, avatarKeys, type AvatarJobPayload } from '../../apps/accounts/avatar.ts';
import { avatarJobs } from '../../apps/accounts/avatar-job.ts';
import type { Services } from '../../src/platform/services.ts';
import type { DispatchOptions, JsonValue, ReservedJob } from '../../src/queue/contract.ts';
import type { JobContext } from '../../src/queue/jobs.ts';
import type { Queue } from '../../src/queue/queue.ts';
import type { ObjectStorage } from '../../src/storage/contract.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const thumbnailJob = (services: Services) => avatarJobs(services)[AVATAR_THUMBNAIL_JOB]!;

/** A test image: `width`×`height`, left half red and right half blue. */
async function twoColourImage(width: number, height: number, format: 'png' | 'jpeg' | 'webp', orientation?: number): Promise<Buffer> {
  const half = Math.floor(width / 2);
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set(x < half ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  }
  let image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (orientation !== undefined) image = image.withMetadata({ orientation });
  return image.toFormat(format).toBuffer();
}

/** A PNG chunk: length, type, data, CRC (PNG spec §5.3). */
function pngChunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/** A well-formed 8-bit greyscale PNG built by hand, `idat` being the zlib stream of its rows (each a filter byte then the pixels). */
function handmadePng(width: number, height: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale; compression, filter and interlace 0
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

const version = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function jobContext(payload: AvatarJobPayload): JobContext {
  const job: ReservedJob = {
    id: 'test',
    attempt: 1,
    readyAt: 0,
    name: AVATAR_THUMBNAIL_JOB,
    payload: { ...payload },
    queue: 'default',
    tries: 3,
    backoff: null,
    timeoutMs: null,
    uniqueKey: null,
  };
  return { job, signal: new AbortController().signal };
}

function runJob(services: Services, payload: AvatarJobPayload): Promise<void> {
  return thumbnailJob(services)({ ...payload }, jobContext(payload));
}

/** GET with the client's cookies, keeping the body as bytes (HostClient decodes text). */
async function getBytes(client: HostClient, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = client.url('accounts', path);
  const cookie = await client.jar.getCookieString(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: client.port, path, method: 'GET', headers: { host: new URL(url).host, cookie }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function pixel(image: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

function assertColour(actual: [number, number, number], colour: 'red' | 'blue', where: string): void {
  const [r, , b] = actual;
  assert.ok(colour === 'red' ? r > 200 && b < 60 : b > 200 && r < 60, `${where}: expected ${colour}, got rgb(${actual.join(', ')})`);
}

describe('accounts avatars', () => {
  let server: TestServer;

  async function signedIn(): Promise<{ id: number; client: HostClient }> {
    const user = await server.createUser();
    const client = server.client();
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    return { id: user.id, client };
  }
  const upload = (client: HostClient, body: Buffer | string, contentType?: string) =>
    client.request('PUT', 'accounts', '/api/me/avatar', { body, headers: contentType ? { 'content-type': contentType } : {} });

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('uploads a PNG (202), queues the job; the job makes a 128×128 WebP thumbnail', async () => {
    const { id, client } = await signedIn();
    const png = await twoColourImage(300, 200, 'png');
    const waiting = async () => (await server.services.queue.stats(['default'])).find((q) => q.queue === 'default')?.waiting ?? 0;
    const waitingBefore = await waiting();

    const response = await upload(client, png, 'image/png');
    assert.equal(response.status, 202, response.text);
    assert.deepEqual(response.json(), { status: 'processing' });
    assert.equal(await waiting(), waitingBefore + 1, 'the thumbnail job waits in the queue');
    // The same bytes again while that job waits: the unique key (user + version) queues nothing new.
    assert.equal((await upload(client, png, 'image/png')).status, 202);
    assert.equal(await waiting(), waitingBefore + 1, 'no second job for the same version');

    const early = await client.get('accounts', `/api/users/${id}/avatar`);
    assert.equal(early.status, 404);
    assert.match(early.json().error.message, /not made yet/);

    const original = await getBytes(client, `/api/users/${id}/avatar?size=original`);
    assert.equal(original.status, 200);
    assert.equal(original.headers['content-type'], 'image/png');
    assert.deepEqual(original.body, png, 'the original is stored as uploaded');

    await runJob(server.services, { userId: id, version: version(png) });
    const thumb = await getBytes(client, `/api/users/${id}/avatar`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers['content-type'], 'image/webp');
    assert.equal(thumb.headers['cache-control'], 'private, max-age=300');
    assert.equal(thumb.headers['x-content-type-options'], 'nosniff');
    const meta = await sharp(thumb.body).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal(meta.width, 128);
    assert.equal(meta.height, 128);
    assert.equal(meta.exif, undefined, 'no metadata is kept');

    const explicit = await getBytes(client, `/api/users/${id}/avatar?size=thumb`);
    assert.deepEqual(explicit.body, thumb.body);

    // Any signed-in user sees it.
    const other = await signedIn();
    assert.equal((await getBytes(other.client, `/api/users/${id}/avatar`)).status, 200);

    // Safe to run twice.
    await runJob(server.services, { userId: id, version: version(png) });
    assert.equal((await sharp((await getBytes(client, `/api/users/${id}/avatar`)).body).metadata()).width, 128);
  });

  it('turns the thumbnail upright from the EXIF orientation and strips the EXIF data', async () => {
    const { id, client } = await signedIn();
    // Stored 256×128 (red left, blue right) with orientation 6: shown rotated 90° clockwise, 128×256, red on top.
    const jpeg = await twoColourImage(256, 128, 'jpeg', 6);
    assert.equal((await sharp(jpeg).metadata()).orientation, 6);
    assert.equal((await upload(client, jpeg, 'image/jpeg')).status, 202);
    await runJob(server.services, { userId: id, version: version(jpeg) });
    const thumb = (await getBytes(client, `/api/users/${id}/avatar`)).body;
    const meta = await sharp(thumb).metadata();
    assert.equal(meta.width, 128);
    assert.equal(meta.orientation, undefined);
    assert.equal(meta.exif, undefined);
    assertColour(await pixel(thumb, 32, 16), 'red', 'top left');
    assertColour(await pixel(thumb, 96, 16), 'red', 'top right');
    assertColour(await pixel(thumb, 32, 112), 'blue', 'bottom left');
    assertColour(await pixel(thumb, 96, 112), 'blue', 'bottom right');
  });

  it('accepts WebP, and a content type with parameters', async () => {
    const { id, client } = await signedIn();
    const webp = await twoColourImage(64, 64, 'webp');
    assert.equal((await upload(client, webp, 'image/webp; charset=binary')).status, 202);
    const original = await getBytes(client, `/api/users/${id}/avatar?size=original`);
    assert.equal(original.headers['content-type'], 'image/webp');
    await runJob(server.services, { userId: id, version: version(webp) });
    assert.equal((await sharp((await getBytes(client, `/api/users/${id}/avatar`)).body).metadata()).width, 128, 'small images are enlarged to fill the square');
  });

  it('refuses bodies that are not an image of the declared type (400)', async () => {
    const { id, client } = await signedIn();
    const cases: [Buffer | string, string, RegExp][] = [
      ['this is not an image at all', 'image/png', /not an image that can be read/],
      [await twoColourImage(20, 20, 'png'), 'image/jpeg', /is a PNG image, but Content-Type says image\/jpeg/],
      [await twoColourImage(20, 20, 'jpeg'), 'image/webp', /is a JPEG image/],
      [await sharp({ create: { width: 20, height: 20, channels: 3, background: '#0f0' } }).gif().toBuffer(), 'image/png', /is a GIF image/],
      ['', 'image/png', /empty/],
    ];
    for (const [body, type, message] of cases) {
      const response = await upload(client, body, type);
      assert.equal(response.status, 400, `${type}: ${response.text}`);
      assert.equal(response.json().error.code, 'bad_request');
      assert.match(response.json().error.message, message);
    }
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar?size=original`)).status, 404, 'nothing was stored');
  });

  it('refuses an image with too many pixels (400) without decoding it', async () => {
    const { client } = await signedIn();
    // 10000×6000 of one colour: a small PNG that claims 60 megapixels.
    const huge = await sharp(Buffer.alloc(10_000 * 6_000), { raw: { width: 10_000, height: 6_000, channels: 1 } }).png({ compressionLevel: 9 }).toBuffer();
    assert.ok(huge.length < AVATAR_MAX_BYTES);
    const response = await upload(client, huge, 'image/png');
    assert.equal(response.status, 400);
    assert.match(response.json().error.message, /^The image is 10000×6000 pixels: at most 50 megapixels \(50000000 pixels\)/);
  });

  it('refuses a truncated, corrupt or too thin image (400, naming the problem) and queues no job', async () => {
    const { id, client } = await signedIn();
    const waiting = async () => (await server.services.queue.stats(['default'])).find((q) => q.queue === 'default')?.waiting ?? 0;
    const good = await twoColourImage(300, 200, 'png');
    const goodJpeg = await twoColourImage(300, 200, 'jpeg');
    // The header and size read fine; the pixel data is random bytes with a valid chunk CRC, so only decoding finds it.
    const garbage = handmadePng(300, 200, Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 131 + 7) % 251)));
    assert.equal((await sharp(garbage).metadata()).width, 300, 'the garbage PNG has a readable header');
    // 49,000,000×1: under the pixel limit, 47 KB of zeros, and the thumbnail would be 6 billion pixels wide.
    const thin = handmadePng(49_000_000, 1, deflateSync(Buffer.alloc(49_000_001), { level: 9 }));
    assert.ok(thin.length < 100_000);
    const cases: [string, Buffer, string, RegExp][] = [
      ['truncated PNG', good.subarray(0, Math.floor(good.length * 0.6)), 'image/png', /^The image is truncated: the PNG data ends before the image is complete/],
      ['truncated JPEG', goodJpeg.subarray(0, Math.floor(goodJpeg.length * 0.6)), 'image/jpeg', /^The image is truncated: the JPEG data/],
      ['garbage pixel data', garbage, 'image/png', /^The image data is corrupt: the PNG header reads but its pixels cannot be decoded/],
      ['49000000×1 PNG', thin, 'image/png', new RegExp(`^The image is 49000000×1 pixels: at most ${AVATAR_MAX_SIDE} pixels wide and ${AVATAR_MAX_SIDE} pixels high`)],
    ];
    const before = await waiting();
    for (const [name, body, type, message] of cases) {
      const response = await upload(client, body, type);
      assert.equal(response.status, 400, `${name}: ${response.text}`);
      assert.equal(response.json().error.code, 'bad_request', name);
      assert.match(response.json().error.message, message, name);
    }
    assert.equal(await waiting(), before, 'no job was queued');
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar?size=original`)).status, 404, 'nothing was stored');

    // A good image after them still goes through and gets its thumbnail.
    assert.equal((await upload(client, good, 'image/png')).status, 202);
    assert.equal(await waiting(), before + 1);
    await runJob(server.services, { userId: id, version: version(good) });
    assert.equal((await sharp((await getBytes(client, `/api/users/${id}/avatar`)).body).metadata()).width, 128);
  });

  it('the job applies the same size limits to an original stored before the upload checks', async () => {
    const { id } = await signedIn();
    const thin = handmadePng(49_000_000, 1, deflateSync(Buffer.alloc(49_000_001), { level: 9 }));
    await server.services.storage.put(avatarKeys(id).original, thin, { contentType: 'image/png' });
    await assert.rejects(runJob(server.services, { userId: id, version: version(thin) }), /^Error: avatar original: The image is 49000000×1 pixels: at most 16384 pixels wide/);
    assert.equal(await server.services.storage.exists(avatarKeys(id).thumb), false);
  });

  it('answers 415 to other content types, 413 above 5 MB, 401 when signed out', async () => {
    const { client } = await signedIn();
    const png = await twoColourImage(20, 20, 'png');
    for (const type of ['text/plain', 'application/json', 'image/gif', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await upload(client, type === 'application/json' ? '{"a":1}' : png, type);
      assert.equal(response.status, 415, `${type}: ${response.text}`);
      assert.equal(response.json().error.code, 'unsupported_media_type');
      assert.match(response.json().error.message, /image\/png, image\/jpeg, image\/webp/);
    }
    assert.equal((await upload(client, png)).status, 415, 'no content type');

    const tooBig = Buffer.concat([png, Buffer.alloc(AVATAR_MAX_BYTES + 1 - png.length)]);
    const big = await upload(client, tooBig, 'image/png');
    assert.equal(big.status, 413, big.text);
    assert.equal(big.json().error.code, 'payload_too_large');
    // Exactly 5 MB is allowed through to the image check (a PNG with trailing bytes still reads).
    const atLimit = await upload(client, tooBig.subarray(0, AVATAR_MAX_BYTES), 'image/png');
    assert.equal(atLimit.status, 202, atLimit.text);

    const noToken = await client.request('PUT', 'accounts', '/api/me/avatar', { body: png, headers: { 'content-type': 'image/png' }, csrf: false });
    assert.equal(noToken.status, 403, 'a signed-in upload needs the CSRF token');

    const anonymous = server.client();
    assert.equal((await upload(anonymous, png, 'image/png')).status, 401);
    assert.equal((await upload(anonymous, 'text', 'text/plain')).status, 401, 'sign-in is checked first');
    assert.equal((await anonymous.delete('accounts', '/api/me/avatar')).status, 401);
    assert.equal((await anonymous.get('accounts', '/api/users/1/avatar')).status, 401);
  });

  it('answers 404 for a user without an avatar, 400 for a bad size', async () => {
    const { id, client } = await signedIn();
    for (const path of [`/api/users/${id}/avatar`, `/api/users/${id}/avatar?size=original`, '/api/users/999999/avatar']) {
      const response = await client.get('accounts', path);
      assert.equal(response.status, 404, path);
      assert.equal(response.json().error.code, 'not_found');
    }
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar?size=huge`)).status, 400);
    assert.equal((await client.get('accounts', '/api/users/abc/avatar')).status, 400);
  });

  it('DELETE removes both; a job for a removed or replaced original does nothing', async () => {
    const { id, client } = await signedIn();
    const first = await twoColourImage(40, 40, 'png');
    await upload(client, first, 'image/png');
    await runJob(server.services, { userId: id, version: version(first) });
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar`)).status, 200);

    const second = await twoColourImage(50, 30, 'jpeg');
    await upload(client, second, 'image/jpeg');
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar`)).status, 404, 'the old thumbnail went with the old original');
    await runJob(server.services, { userId: id, version: version(first) });
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar`)).status, 404, 'a job for the replaced original is a no-op');
    await runJob(server.services, { userId: id, version: version(second) });
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar`)).status, 200);

    assert.equal((await client.delete('accounts', '/api/me/avatar')).status, 204);
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar`)).status, 404);
    assert.equal((await client.get('accounts', `/api/users/${id}/avatar?size=original`)).status, 404);
    await runJob(server.services, { userId: id, version: version(second) });
    assert.equal(await server.services.storage.exists(avatarKeys(id).thumb), false, 'a job for a deleted original brings nothing back');
    assert.equal((await client.delete('accounts', '/api/me/avatar')).status, 204, 'deleting again is fine');
  });

  it('a job that raced an upload or a delete queues a repair or removes its thumbnail', async () => {
    const { id, client } = await signedIn();
    const keys = avatarKeys(id);
    const first = await twoColourImage(40, 40, 'png');
    const second = await twoColourImage(60, 40, 'png');
    await upload(client, first, 'image/png');

    // The storage changes right after the job writes its thumbnail, as if another request came in then.
    const dispatched: { payload: JsonValue; options: DispatchOptions | undefined }[] = [];
    const racing = (afterThumb: (storage: ObjectStorage) => Promise<void>): Services => {
      const storage = server.services.storage;
      const wrapped: ObjectStorage = {
        driver: storage.driver,
        get: (key) => storage.get(key),
        exists: (key) => storage.exists(key),
        delete: (key) => storage.delete(key),
        ping: () => storage.ping(),
        putStream: (key, body, options) => storage.putStream(key, body, options),
        getStream: (key) => storage.getStream(key),
        list: (prefix) => storage.list(prefix),
        signedUrl: (key, options) => storage.signedUrl(key, options),
        close: () => storage.close(),
        async put(key, body, options) {
          await storage.put(key, body, options);
          if (key === keys.thumb) await afterThumb(storage);
        },
      };
      const queue = {
        async dispatch(_name: string, payload: JsonValue, options?: DispatchOptions) {
          dispatched.push({ payload, options });
          return { id: 'x', duplicate: false };
        },
      } as unknown as Queue;
      return { ...server.services, storage: wrapped, queue };
    };

    await runJob(
      racing((storage) => storage.put(keys.original, second, { contentType: 'image/png' })),
      { userId: id, version: version(first) },
    );
    assert.deepEqual(dispatched.map((d) => d.payload), [{ userId: id, version: version(second) }], 'a repair for the new original');
    assert.equal(dispatched[0]!.options?.uniqueKey, undefined, 'not deduplicated against a job that may be past its write');

    dispatched.length = 0;
    await runJob(racing((storage) => storage.delete(keys.original)), { userId: id, version: version(second) });
    assert.deepEqual(dispatched, []);
    assert.equal(await server.services.storage.exists(keys.thumb), false, 'the thumbnail of a deleted original is removed');
  });

  it('fails the job on a malformed payload', async () => {
    await assert.rejects(thumbnailJob(server.services)({ userId: 'x' }, jobContext({ userId: 1, version: '0'.repeat(64) })), /malformed payload/);
  });
});

describe('accounts avatars with a worker running', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { worker: true });
  });
  after(() => server.close());

  it('the dispatched job makes the thumbnail', async () => {
    const user = await server.createUser();
    const client = server.client();
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    const png = await twoColourImage(200, 300, 'png');
    assert.equal((await client.request('PUT', 'accounts', '/api/me/avatar', { body: png, headers: { 'content-type': 'image/png' } })).status, 202);
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await client.get('accounts', `/api/users/${user.id}/avatar`)).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 200, 'the worker made the thumbnail within 15 s');
    const thumb = await getBytes(client, `/api/users/${user.id}/avatar`);
    assert.equal((await sharp(thumb.body).metadata()).height, 128);
  });
});
