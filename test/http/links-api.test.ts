import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

type Role = 'viewer' | 'editor' | 'admin';

describe('links JSON API', () => {
  let server: TestServer;
  const signedIn = async (role?: Role) => {
    const user = await server.createUser({ roles: role ? [{ app: 'links', role }] : [] });
    const client = server.client();
    await client.signIn('links', user.email, TEST_PASSWORD);
    return { user, client };
  };

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('answers 401 on every endpoint when signed out', async () => {
    const client = server.client();
    const calls = [
      client.get('links', '/api/links'),
      client.post('links', '/api/links', { json: { url: 'https://example.com/' } }),
      client.get('links', '/api/links/1'),
      client.patch('links', '/api/links/1', { json: { title: 'x' } }),
      client.delete('links', '/api/links/1'),
    ];
    for (const response of await Promise.all(calls)) {
      assert.equal(response.status, 401);
      assert.equal(response.json().error.code, 'unauthenticated');
    }
  });

  it('creates, reads, changes and deletes a link', async () => {
    const { user, client } = await signedIn('editor');
    const created = await client.post('links', '/api/links', { json: { url: 'https://example.com/crud', slug: 'crud-1', title: 'CRUD' } });
    assert.equal(created.status, 201);
    const link = created.json();
    assert.deepEqual(Object.keys(link).sort(), ['clicks', 'createdAt', 'id', 'ownerId', 'shortUrl', 'slug', 'title', 'updatedAt', 'url']);
    assert.equal(typeof link.id, 'number');
    assert.equal(link.slug, 'crud-1');
    assert.equal(link.url, 'https://example.com/crud');
    assert.equal(link.title, 'CRUD');
    assert.equal(link.ownerId, user.id);
    assert.equal(link.clicks, 0);
    assert.equal(link.shortUrl, `http://links.marg.localhost:${server.port}/crud-1`);
    assert.match(link.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(link.updatedAt, link.createdAt);
    assert.equal(created.headers.location, `/api/links/${link.id}`);

    const read = await client.get('links', `/api/links/${link.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json(), link);

    const patched = await client.patch('links', `/api/links/${link.id}`, { json: { title: 'Renamed', url: 'https://example.org/new', slug: 'crud-2' } });
    assert.equal(patched.status, 200);
    assert.deepEqual(
      { ...patched.json<Record<string, unknown>>(), updatedAt: undefined },
      { ...link, title: 'Renamed', url: 'https://example.org/new', slug: 'crud-2', shortUrl: `http://links.marg.localhost:${server.port}/crud-2`, updatedAt: undefined },
    );
    assert.ok(patched.json().updatedAt >= link.updatedAt);

    const cleared = await client.patch('links', `/api/links/${link.id}`, { json: { title: null } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.json().title, null);
    assert.equal(cleared.json().slug, 'crud-2');

    const deleted = await client.delete('links', `/api/links/${link.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await client.get('links', `/api/links/${link.id}`)).status, 404);
  });

  it('generates a random 7-character base62 slug when none is given', async () => {
    const { client } = await signedIn('editor');
    const slugs = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await client.post('links', '/api/links', { json: { url: 'https://example.com/generated' } });
      assert.equal(response.status, 201);
      assert.match(response.json().slug, /^[A-Za-z0-9]{7}$/);
      assert.equal(response.json().title, null);
      slugs.add(response.json().slug);
    }
    assert.equal(slugs.size, 5);
  });

  it('trims input, keeps an empty title as null and percent-encodes non-ASCII URLs', async () => {
    const { client } = await signedIn('editor');
    const response = await client.post('links', '/api/links', { json: { url: '  https://example.com/ünï?q=a b  ', title: '   ' } });
    assert.equal(response.status, 201);
    assert.equal(response.json().url, 'https://example.com/%C3%BCn%C3%AF?q=a%20b');
    assert.equal(response.json().title, null);
  });

  describe('permissions', () => {
    it('lets a viewer read but not write', async () => {
      const { client: editor } = await signedIn('editor');
      const link = (await editor.post('links', '/api/links', { json: { url: 'https://example.com/v' } })).json();
      const { client: viewer } = await signedIn('viewer');
      assert.equal((await viewer.get('links', '/api/links')).status, 200);
      assert.equal((await viewer.get('links', `/api/links/${link.id}`)).json().id, link.id);
      const writes = [
        await viewer.post('links', '/api/links', { json: { url: 'https://example.com/' } }),
        await viewer.patch('links', `/api/links/${link.id}`, { json: { title: 'mine now' } }),
        await viewer.delete('links', `/api/links/${link.id}`),
      ];
      for (const response of writes) {
        assert.equal(response.status, 403);
        assert.equal(response.json().error.code, 'forbidden');
      }
      assert.equal((await viewer.get('links', `/api/links/${link.id}`)).json().title, null, 'unchanged');
    });

    it('refuses everything to a signed-in user with no links role', async () => {
      const { client } = await signedIn();
      assert.equal((await client.get('links', '/api/links')).status, 403);
      assert.equal((await client.get('links', '/api/links/1')).status, 403);
    });

    it("refuses an editor another editor's link (403, audited) and lets an admin change and delete it", async () => {
      const { user: owner, client: ownerClient } = await signedIn('editor');
      const link = (await ownerClient.post('links', '/api/links', { json: { url: 'https://example.com/owned', title: 'Owned' } })).json();
      const { user: other, client: otherClient } = await signedIn('editor');

      const patch = await otherClient.patch('links', `/api/links/${link.id}`, { json: { title: 'Hijacked' } });
      assert.equal(patch.status, 403);
      assert.equal(patch.json().error.code, 'forbidden');
      const del = await otherClient.delete('links', `/api/links/${link.id}`);
      assert.equal(del.status, 403);
      assert.equal(del.json().error.code, 'forbidden');

      const denials = (await server.services.audit.list(100, { event: 'rbac.denied' })).filter((e) => e.actorId === other.id);
      assert.equal(denials.length, 2);
      for (const entry of denials) {
        assert.equal(entry.subject, 'links.links.manage');
        assert.equal(entry.details?.linkId, link.id);
        assert.equal(entry.details?.ownerId, owner.id);
      }
      assert.equal((await ownerClient.get('links', `/api/links/${link.id}`)).json().title, 'Owned');

      const { client: admin } = await signedIn('admin');
      const adminPatch = await admin.patch('links', `/api/links/${link.id}`, { json: { title: 'Moderated' } });
      assert.equal(adminPatch.status, 200);
      assert.equal(adminPatch.json().title, 'Moderated');
      assert.equal(adminPatch.json().ownerId, owner.id, 'the owner stays');
      assert.equal((await admin.delete('links', `/api/links/${link.id}`)).status, 204);
      assert.equal((await ownerClient.get('links', `/api/links/${link.id}`)).status, 404);
    });
  });

  describe('validation', () => {
    let client: HostClient;
    before(async () => {
      ({ client } = await signedIn('editor'));
    });

    it('answers 400 for wrong types, missing and unknown fields', async () => {
      const cases: [unknown, string][] = [
        [{ url: 123 }, 'url'],
        [{ url: 'https://example.com/', title: 5 }, 'title'],
        [{ url: 'https://example.com/', slug: ['a'] }, 'slug'],
        [{ slug: 'no-url' }, 'url'],
        [{ url: 'https://example.com/', owner: 1 }, 'owner'],
        [{ url: 'https://example.com/', ownerId: 1 }, 'ownerId'],
      ];
      for (const [json, field] of cases) {
        const response = await client.post('links', '/api/links', { json });
        assert.equal(response.status, 400, JSON.stringify(json));
        assert.ok(response.json().error.fields[field], `${JSON.stringify(json)} → ${response.text}`);
      }
      const array = await client.post('links', '/api/links', { json: [{ url: 'https://example.com/' }] });
      assert.equal(array.status, 400);
    });

    it('answers 422 for URLs that are not absolute http(s)', async () => {
      for (const url of ['javascript:alert(1)', 'ftp://example.com/file', '/relative/path', 'example.com', 'http://', 'https:example.com', 'mailto:a@example.com', '', `https://example.com/${'a'.repeat(2048)}`]) {
        const response = await client.post('links', '/api/links', { json: { url } });
        assert.equal(response.status, 422, url);
        assert.equal(response.json().error.code, 'validation_failed');
        assert.equal(typeof response.json().error.fields.url, 'string', url);
      }
      const longest = `https://example.com/${'a'.repeat(2048 - 20)}`;
      assert.equal(longest.length, 2048);
      assert.equal((await client.post('links', '/api/links', { json: { url: longest } })).status, 201);
    });

    it('answers 422 for reserved slugs and slugs with bad characters or length', async () => {
      for (const slug of ['api', 'signin', 'signout', 'health', 'assets', 'Admin', 'new', 'links', 'a b', 'a/b', 'a.b', 'ünï', 'x'.repeat(65), '']) {
        const response = await client.post('links', '/api/links', { json: { url: 'https://example.com/', slug } });
        assert.equal(response.status, 422, slug);
        assert.equal(typeof response.json().error.fields.slug, 'string', slug);
      }
      assert.equal((await client.post('links', '/api/links', { json: { url: 'https://example.com/', slug: 'x'.repeat(64) } })).status, 201);
    });

    it('answers 422 for a title over 200 characters, reporting every bad field at once', async () => {
      const response = await client.post('links', '/api/links', { json: { url: 'ftp://x', slug: 'api', title: 't'.repeat(201) } });
      assert.equal(response.status, 422);
      assert.deepEqual(Object.keys(response.json().error.fields).sort(), ['slug', 'title', 'url']);
    });

    it('answers 409 for a slug that is taken, on create and on change; case matters', async () => {
      const first = await client.post('links', '/api/links', { json: { url: 'https://example.com/1', slug: 'taken' } });
      assert.equal(first.status, 201);
      const again = await client.post('links', '/api/links', { json: { url: 'https://example.com/2', slug: 'taken' } });
      assert.equal(again.status, 409);
      assert.equal(again.json().error.code, 'conflict');
      assert.equal(typeof again.json().error.fields.slug, 'string');
      const other = (await client.post('links', '/api/links', { json: { url: 'https://example.com/3', slug: 'Taken' } })).json();
      assert.equal(other.slug, 'Taken');
      const rename = await client.patch('links', `/api/links/${other.id}`, { json: { slug: 'taken' } });
      assert.equal(rename.status, 409);
      assert.equal(typeof rename.json().error.fields.slug, 'string');
      const same = await client.patch('links', `/api/links/${other.id}`, { json: { slug: 'Taken', title: 'same slug is fine' } });
      assert.equal(same.status, 200);
    });

    it('validates PATCH like POST', async () => {
      const link = (await client.post('links', '/api/links', { json: { url: 'https://example.com/p' } })).json();
      const path = `/api/links/${link.id}`;
      assert.equal((await client.patch('links', path, { json: { url: 'javascript:alert(1)' } })).status, 422);
      assert.equal((await client.patch('links', path, { json: { slug: 'api' } })).status, 422);
      assert.equal((await client.patch('links', path, { json: { slug: 'bad slug' } })).status, 422);
      assert.equal((await client.patch('links', path, { json: { url: 42 } })).status, 400);
      assert.equal((await client.patch('links', path, { json: { clicks: 1000 } })).status, 400);
      assert.equal((await client.patch('links', path, { json: { ownerId: 1 } })).status, 400);
      const unchanged = await client.get('links', path);
      assert.deepEqual(unchanged.json(), link);
      const empty = await client.patch('links', path, { json: {} });
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.json(), link);
    });

    it('answers 404 for an unknown id and 400 for one that is not a positive integer', async () => {
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        const options = method === 'PATCH' ? { json: { title: 'x' } } : {};
        const missing = await client.request(method, 'links', '/api/links/999999', options);
        assert.equal(missing.status, 404, method);
        assert.equal(missing.json().error.code, 'not_found');
        for (const id of ['abc', '1.5', '0', '-1', '1e3x', '99999999999999999999']) {
          const response = await client.request(method, 'links', `/api/links/${id}`, options);
          assert.equal(response.status, 400, `${method} ${id}`);
        }
      }
    });

    it('answers 400 for malformed JSON and 413 for an oversize body', async () => {
      const malformed = await client.post('links', '/api/links', { body: '{"url": "https://example.com/', headers: { 'content-type': 'application/json' } });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.json().error.code, 'invalid_json');
      const huge = JSON.stringify({ url: 'https://example.com/', title: 'x'.repeat(server.config.http.bodyLimit) });
      const oversize = await client.post('links', '/api/links', { body: huge, headers: { 'content-type': 'application/json' } });
      assert.equal(oversize.status, 413);
      assert.equal(oversize.json().error.code, 'payload_too_large');
    });
  });

  describe('listing', () => {
    it('pages newest first with an opaque cursor, filtered to the caller with ?owner=me', async () => {
      const { user, client } = await signedIn('editor');
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await client.post('links', '/api/links', { json: { url: `https://example.com/page/${i}` } })).json().id);
      const seen: number[] = [];
      let path = '/api/links?owner=me&limit=2';
      const sizes: number[] = [];
      for (;;) {
        const response = await client.get('links', path);
        assert.equal(response.status, 200);
        const body = response.json();
        assert.deepEqual(Object.keys(body).sort(), ['data', 'next']);
        sizes.push(body.data.length);
        for (const link of body.data) {
          assert.equal(link.ownerId, user.id);
          seen.push(link.id);
        }
        if (body.next === null) break;
        assert.equal(typeof body.next, 'string');
        path = `/api/links?owner=me&limit=2&cursor=${encodeURIComponent(body.next)}`;
      }
      assert.deepEqual(sizes, [2, 2, 1]);
      assert.deepEqual(seen, [...ids].reverse());
    });

    it('lists everyone\'s links by default, 25 to a page', async () => {
      const { client } = await signedIn('editor');
      for (let i = 0; i < 26; i++) assert.equal((await client.post('links', '/api/links', { json: { url: `https://example.com/many/${i}` } })).status, 201);
      const { client: viewer } = await signedIn('viewer');
      const first = (await viewer.get('links', '/api/links')).json();
      assert.equal(first.data.length, 25);
      assert.equal(first.data[0].url, 'https://example.com/many/25');
      assert.ok(first.next);
      const second = (await viewer.get('links', `/api/links?cursor=${encodeURIComponent(first.next)}&limit=100`)).json();
      assert.ok(second.data.length >= 1);
      assert.ok(second.data[0].id < first.data[24].id);
    });

    it('answers 400 for a bad cursor, limit or owner filter', async () => {
      const { client } = await signedIn('viewer');
      const forged = Buffer.from('id:0').toString('base64url');
      const tooBig = Buffer.from('id:99999999999').toString('base64url');
      for (const query of ['cursor=garbage', 'cursor=%21%21%21', `cursor=${forged}`, `cursor=${tooBig}`, `cursor=${'a'.repeat(65)}`, 'limit=0', 'limit=101', 'limit=abc', 'limit=2.5', 'owner=bob']) {
        const response = await client.get('links', `/api/links?${query}`);
        assert.equal(response.status, 400, query);
        assert.equal(typeof response.json().error.code, 'string');
      }
    });
  });
});
