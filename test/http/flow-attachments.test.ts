import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { RawEnv } from '../../src/config/env-files.ts';
import type { RoleRef } from '../../src/auth/permissions.ts';
import type { ObjectStorage } from '../../src/storage/contract.ts';
import { request as httpRequest } from 'node:http';
import { download, multipartBody, upload } from '../support/attachments.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';
import { until } from '../support/wait.ts';

const MAX = 200_000;

async function storedKeys(storage: ObjectStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list('flow/attachments/')) keys.push(object.key);
  return keys.sort();
}

const png = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();

let s3: TestS3Server | undefined;
after(() => s3?.close());

const disks: { name: string; env: () => Promise<RawEnv> }[] = [
  { name: 'local disk', env: async () => ({ FILESYSTEM_DISK: 'local' }) },
  {
    name: 'S3 (s3rver)',
    env: async () => {
      s3 ??= await startS3Server();
      return s3.env(await s3.createBucket());
    },
  },
];

for (const disk of disks) {
  describe(`flow attachments on ${disk.name}`, () => {
    let server: TestServer;
    let owner: { id: number; client: HostClient };
    let otherEditor: { id: number; client: HostClient };
    let viewer: { id: number; client: HostClient };

    async function signedIn(role: RoleRef['role'] | undefined) {
      const user = await server.createUser({ roles: role ? [{ app: 'flow', role }] : [] });
      const client = server.client();
      await client.signIn('flow', user.email, TEST_PASSWORD);
      return { id: user.id, client };
    }

    async function newTask(title = 'With files'): Promise<number> {
      const response = await owner.client.post('flow', '/api/tasks', { json: { title } });
      assert.equal(response.status, 201, response.text);
      return response.json().id;
    }

    before(async () => {
      server = await startTestServer({ ...(await disk.env()), ATTACHMENT_MAX_BYTES: String(MAX) }, { worker: true });
      owner = await signedIn('editor');
      otherEditor = await signedIn('editor');
      viewer = await signedIn('viewer');
    });
    after(() => server.close());

    it('uploads an image, lists it, downloads it byte for byte with safe headers, and makes a thumbnail', async () => {
      const taskId = await newTask();
      const image = await png(800, 400);
      const filename = 'C:\\Users\\me\\..Résumé\u0007 final.png';
      const created = await upload(owner.client, taskId, image, filename, 'image/png');
      assert.equal(created.status, 201, created.text);
      const json = created.json();
      assert.equal(json.taskId, taskId);
      assert.equal(json.filename, 'Résumé final.png', 'the last path segment, without control characters or leading dots');
      assert.equal(json.contentType, 'image/png');
      assert.equal(json.size, image.length);
      assert.equal(json.uploadedBy, owner.id);
      assert.equal(json.url, `/api/tasks/${taskId}/attachments/${json.id}`);

      const listed = await viewer.client.get('flow', `/api/tasks/${taskId}/attachments`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.json().data.map((a: { id: number }) => a.id), [json.id]);

      const got = await download(viewer.client, json.url);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, image);
      assert.equal(got.headers['content-type'], 'image/png');
      assert.equal(got.headers['content-length'], String(image.length));
      assert.equal(got.headers['x-content-type-options'], 'nosniff');
      const disposition = String(got.headers['content-disposition']);
      assert.equal(disposition, `inline; filename="R?sum? final.png"; filename*=UTF-8''R%C3%A9sum%C3%A9%20final.png`);

      // The worker makes the thumbnail: a WebP of at most 256×256, aspect kept.
      let thumb: Awaited<ReturnType<typeof download>> | undefined;
      await until(async () => {
        thumb = await download(viewer.client, `${json.url}/thumbnail`);
        return thumb.status === 200;
      }, 20_000);
      assert.ok(thumb);
      assert.equal(thumb.headers['content-type'], 'image/webp');
      const meta = await sharp(thumb.body).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 256, 128]);
      const relisted = await owner.client.get('flow', `/api/tasks/${taskId}/attachments`);
      assert.equal(relisted.json().data[0].thumbnailUrl, `${json.url}/thumbnail`);
    });

    it('stores text and PDF by the type their bytes show, and sends them as downloads', async () => {
      const taskId = await newTask();
      const text = Buffer.from('name,amount\nTea,3\n<script>alert(1)</script>\n');
      const csv = await upload(owner.client, taskId, text, 'report.csv', 'text/csv');
      assert.equal(csv.status, 201, csv.text);
      assert.equal(csv.json().contentType, 'text/csv; charset=utf-8');
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
      const sent = await upload(owner.client, taskId, pdf, 'scan.pdf', 'application/octet-stream');
      assert.equal(sent.status, 201, sent.text);
      assert.equal(sent.json().contentType, 'application/pdf', 'an undeclared type is taken from the bytes');
      for (const [response, body] of [[csv, text], [sent, pdf]] as const) {
        const got = await download(owner.client, response.json().url);
        assert.deepEqual(got.body, body);
        assert.match(String(got.headers['content-disposition']), /^attachment; filename=/);
        assert.equal(got.headers['x-content-type-options'], 'nosniff');
      }
    });

    it('refuses a file over ATTACHMENT_MAX_BYTES with 413 while streaming, and keeps nothing', async () => {
      const taskId = await newTask();
      const before = await storedKeys(server.services.storage);
      const big = Buffer.concat([Buffer.from('a'.repeat(MAX)), Buffer.from('b')]);
      const response = await upload(owner.client, taskId, big, 'big.txt', 'text/plain');
      assert.equal(response.status, 413, response.text);
      assert.match(response.json().error.message, /larger than 200000 bytes \(ATTACHMENT_MAX_BYTES\)/);
      assert.deepEqual((await owner.client.get('flow', `/api/tasks/${taskId}/attachments`)).json().data, []);
      assert.deepEqual(await storedKeys(server.services.storage), before, 'no object was left behind');
      const exact = await upload(owner.client, taskId, Buffer.from('a'.repeat(MAX)), 'exact.txt', 'text/plain');
      assert.equal(exact.status, 201, 'exactly the limit is accepted');
    });

    it('refuses types outside the allow-list by their bytes, whatever the declared type (415)', async () => {
      const taskId = await newTask();
      const image = await png(10, 10);
      const cases: [Buffer, string, string, RegExp][] = [
        [Buffer.from('<!doctype html><script>alert(1)</script>'), 'x.html', 'text/html', /allowed: image\/png/],
        [image, 'x.jpg', 'image/jpeg', /is image\/png, but its Content-Type says image\/jpeg/],
        [Buffer.from('plain words'), 'x.png', 'image/png', /is text, but its Content-Type says image\/png/],
        [Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200), Buffer.from('PE\0\0')]), 'x.exe', 'application/octet-stream', /cannot be attached/],
        [Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Buffer.alloc(60)]), 'x.zip', 'application/zip', /cannot be attached/],
      ];
      for (const [bytes, name, type, message] of cases) {
        const response = await upload(owner.client, taskId, bytes, name, type);
        assert.equal(response.status, 415, `${name}: ${response.text}`);
        assert.match(response.json().error.message, message, name);
      }
      assert.deepEqual((await owner.client.get('flow', `/api/tasks/${taskId}/attachments`)).json().data, []);
    });

    it('answers malformed uploads with a clear 4xx', async () => {
      const taskId = await newTask();
      const asJson = await owner.client.post('flow', `/api/tasks/${taskId}/attachments`, { json: { file: 'x' } });
      assert.equal(asJson.status, 415);
      const wrongField = await upload(owner.client, taskId, Buffer.from('x'), 'a.txt', 'text/plain', 'document');
      assert.equal(wrongField.status, 400);
      assert.match(wrongField.json().error.message, /part named "file"/);
      const empty = await upload(owner.client, taskId, Buffer.alloc(0), 'a.txt', 'text/plain');
      assert.equal(empty.status, 400);
      assert.match(empty.json().error.message, /empty/);
      const noFile = await owner.client.post('flow', `/api/tasks/${taskId}/attachments`, {
        body: '--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--b--\r\n',
        headers: { 'content-type': 'multipart/form-data; boundary=b' },
      });
      assert.equal(noFile.status, 400, noFile.text);
      const cut = await owner.client.post('flow', `/api/tasks/${taskId}/attachments`, {
        body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello',
        headers: { 'content-type': 'multipart/form-data; boundary=b' },
      });
      assert.ok(cut.status >= 400 && cut.status < 500, `a body cut short: ${cut.status} ${cut.text}`);
      assert.deepEqual((await owner.client.get('flow', `/api/tasks/${taskId}/attachments`)).json().data, []);
    });

    it('answers unknown tasks and attachments with 404, and another task\'s attachment too', async () => {
      const taskId = await newTask();
      const other = await newTask();
      const file = (await upload(owner.client, taskId, Buffer.from('x'), 'a.txt', 'text/plain')).json();
      assert.equal((await upload(owner.client, 999_999, Buffer.from('x'), 'a.txt', 'text/plain')).status, 404);
      assert.equal((await owner.client.get('flow', '/api/tasks/999999/attachments')).status, 404);
      assert.equal((await download(owner.client, `/api/tasks/${taskId}/attachments/999999`)).status, 404);
      assert.equal((await download(owner.client, `/api/tasks/${other}/attachments/${file.id}`)).status, 404);
      assert.equal((await owner.client.delete('flow', `/api/tasks/${other}/attachments/${file.id}`)).status, 404);
      assert.equal((await download(owner.client, `/api/tasks/${taskId}/attachments/abc`)).status, 400);
      assert.equal((await download(owner.client, `/api/tasks/${taskId}/attachments/${file.id}/thumbnail`)).status, 404, 'text has no thumbnail');
    });

    it('applies the task rules: changing it to upload or delete, reading it to list or download', async () => {
      const taskId = await newTask();
      const file = (await upload(owner.client, taskId, Buffer.from('x'), 'a.txt', 'text/plain')).json();
      assert.equal((await upload(viewer.client, taskId, Buffer.from('x'), 'b.txt', 'text/plain')).status, 403);
      assert.equal((await upload(otherEditor.client, taskId, Buffer.from('x'), 'b.txt', 'text/plain')).status, 403);
      assert.equal((await viewer.client.delete('flow', `/api/tasks/${taskId}/attachments/${file.id}`)).status, 403);
      assert.equal((await otherEditor.client.delete('flow', `/api/tasks/${taskId}/attachments/${file.id}`)).status, 403);
      assert.equal((await download(otherEditor.client, file.url)).status, 200);
      const anonymous = server.client();
      assert.equal((await anonymous.get('flow', `/api/tasks/${taskId}/attachments`)).status, 401);
      assert.equal((await download(anonymous, file.url)).status, 401);
      assert.equal((await upload(anonymous, taskId, Buffer.from('x'), 'b.txt', 'text/plain')).status, 401);
      const outsider = await signedIn(undefined);
      assert.equal((await download(outsider.client, file.url)).status, 403);
    });

    it('deletes an attachment and its objects, and a deleted task takes its attachments along', async () => {
      const taskId = await newTask();
      const before = await storedKeys(server.services.storage);
      const first = (await upload(owner.client, taskId, await png(20, 20), 'a.png', 'image/png')).json();
      const second = (await upload(owner.client, taskId, Buffer.from('two'), 'b.txt', 'text/plain')).json();
      assert.equal((await storedKeys(server.services.storage)).length >= before.length + 2, true);
      assert.equal((await owner.client.delete('flow', `/api/tasks/${taskId}/attachments/${first.id}`)).status, 204);
      assert.equal((await download(owner.client, first.url)).status, 404);
      assert.equal((await owner.client.delete('flow', `/api/tasks/${taskId}/attachments/${first.id}`)).status, 404);
      assert.equal((await owner.client.delete('flow', `/api/tasks/${taskId}`)).status, 204);
      assert.equal((await download(owner.client, second.url)).status, 404);
      // A thumbnail job still running may write after the delete; it then removes what it wrote.
      await until(async () => (await storedKeys(server.services.storage)).join() === before.join(), 10_000);
    });

    it('keeps no attachment of a task deleted while its file was arriving (404)', async () => {
      const taskId = await newTask();
      const before = await storedKeys(server.services.storage);
      const { body, contentType } = await multipartBody([{ field: 'file', bytes: Buffer.from('z'.repeat(50_000)), filename: 'slow.txt', type: 'text/plain' }]);
      const url = owner.client.url('flow', `/api/tasks/${taskId}/attachments`);
      const headers = {
        host: new URL(url).host,
        cookie: await owner.client.jar.getCookieString(url),
        'x-csrf-token': owner.client.cookie('XSRF-TOKEN') ?? '',
        'content-type': contentType,
        'content-length': String(body.length),
      };
      const answer = new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: owner.client.port, method: 'POST', path: `/api/tasks/${taskId}/attachments`, headers, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.write(body.subarray(0, 10_000));
        // The rest only once the task is gone: the upload passed its checks while the task still existed.
        setTimeout(() => {
          void owner.client.delete('flow', `/api/tasks/${taskId}`).then((deleted) => {
            assert.equal(deleted.status, 204);
            req.end(body.subarray(10_000));
          }, reject);
        }, 300);
      });
      assert.equal(await answer, 404);
      assert.deepEqual(await storedKeys(server.services.storage), before);
      assert.equal((await owner.client.get('flow', `/api/tasks/${taskId}/attachments`)).status, 404);
    });

    it('counts a task\'s attachments on the board and lists them on its page', async () => {
      const taskId = await newTask('Board task');
      await upload(owner.client, taskId, Buffer.from('notes'), 'meeting-notes.txt', 'text/plain');
      await upload(owner.client, taskId, Buffer.from('x'), '<img src=x onerror=alert(1)>.txt', 'text/plain');
      const board = await owner.client.get('flow', '/', { headers: { accept: 'text/html' } });
      assert.ok(board.text.includes('<div class="muted">2 files</div>'));
      const page = await owner.client.get('flow', `/tasks/${taskId}`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(`<a href="/api/tasks/${taskId}/attachments/\\d+" download="meeting-notes.txt">meeting-notes.txt</a>`));
      assert.doesNotMatch(page.text, /<img src=x/, 'a file name is text, never markup');
      assert.match(page.text, /&lt;img src=x onerror=alert\(1\)&gt;\.txt/);
    });
  });
}
