import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RoleRef } from '../../src/auth/permissions.ts';
import type { User } from '../../src/auth/users.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const TASK_KEYS = ['assigneeId', 'createdAt', 'description', 'dueDate', 'id', 'ownerId', 'status', 'title', 'updatedAt'];

describe('flow tasks JSON API', () => {
  let server: TestServer;
  let admin: { user: User; client: HostClient };
  let editor: { user: User; client: HostClient };
  let otherEditor: { user: User; client: HostClient };
  let viewer: { user: User; client: HostClient };

  async function signedIn(role: RoleRef['role'] | undefined): Promise<{ user: User; client: HostClient }> {
    const user = await server.createUser({ roles: role ? [{ app: 'flow', role }] : [] });
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    return { user, client };
  }

  async function createTask(client: HostClient, body: Record<string, unknown>): Promise<Record<string, unknown> & { id: number }> {
    const response = await client.post('flow', '/api/tasks', { json: body });
    assert.equal(response.status, 201, response.text);
    return response.json();
  }

  async function deniedEntries(actorId: number, subject: string) {
    const entries = await server.services.audit.list(100, { event: 'rbac.denied' });
    return entries.filter((e) => e.actorId === actorId && e.subject === subject);
  }

  before(async () => {
    server = await startTestServer();
    admin = await signedIn('admin');
    editor = await signedIn('editor');
    otherEditor = await signedIn('editor');
    viewer = await signedIn('viewer');
  });
  after(() => server.close());

  it('answers 401 to every endpoint when signed out', async () => {
    const task = await createTask(admin.client, { title: 'Exists' });
    const anonymous = server.client();
    const calls = [
      anonymous.get('flow', '/api/tasks'),
      anonymous.post('flow', '/api/tasks', { json: { title: 'x' } }),
      anonymous.get('flow', `/api/tasks/${task.id}`),
      anonymous.patch('flow', `/api/tasks/${task.id}`, { json: { title: 'y' } }),
      anonymous.delete('flow', `/api/tasks/${task.id}`),
    ];
    for (const response of await Promise.all(calls)) {
      assert.equal(response.status, 401);
      assert.equal(response.json().error.code, 'unauthenticated');
    }
  });

  it('creates, reads, updates and deletes a task', async () => {
    const assignee = await server.createUser({ name: 'Asha Assignee', roles: [{ app: 'flow', role: 'viewer' }] });
    const created = await editor.client.post('flow', '/api/tasks', {
      json: { title: '  Write the release notes  ', description: 'For 1.2', assigneeId: assignee.id, dueDate: '2024-02-29' },
    });
    assert.equal(created.status, 201);
    const task = created.json();
    assert.deepEqual(Object.keys(task).sort(), TASK_KEYS);
    assert.equal(typeof task.id, 'number');
    assert.deepEqual(
      { ...task, id: 0, createdAt: '', updatedAt: '' },
      { id: 0, title: 'Write the release notes', description: 'For 1.2', status: 'todo', ownerId: editor.user.id, assigneeId: assignee.id, dueDate: '2024-02-29', createdAt: '', updatedAt: '' },
    );
    assert.match(task.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(task.updatedAt, task.createdAt);

    const read = await viewer.client.get('flow', `/api/tasks/${task.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json(), task);

    const patched = await editor.client.patch('flow', `/api/tasks/${task.id}`, { json: { status: 'doing', title: 'Release notes', dueDate: '2026-03-01' } });
    assert.equal(patched.status, 200);
    assert.deepEqual(
      { ...patched.json<Record<string, unknown>>(), updatedAt: '' },
      { ...task, status: 'doing', title: 'Release notes', dueDate: '2026-03-01', updatedAt: '' },
    );
    assert.ok(patched.json().updatedAt >= task.updatedAt);

    const cleared = await editor.client.patch('flow', `/api/tasks/${task.id}`, { json: { assigneeId: null, dueDate: null, description: '' } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.json().assigneeId, null);
    assert.equal(cleared.json().dueDate, null);
    assert.equal(cleared.json().description, '');
    assert.equal(cleared.json().status, 'doing');

    const deleted = await editor.client.delete('flow', `/api/tasks/${task.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    const gone = await editor.client.get('flow', `/api/tasks/${task.id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json().error.code, 'not_found');
  });

  it('accepts a status on create', async () => {
    const task = await createTask(editor.client, { title: 'Already started', status: 'doing' });
    assert.equal(task.status, 'doing');
  });

  describe('permissions', () => {
    it('lets a viewer read but not create, change or delete (403)', async () => {
      const task = await createTask(editor.client, { title: 'Viewer target' });
      assert.equal((await viewer.client.get('flow', '/api/tasks')).status, 200);
      assert.equal((await viewer.client.get('flow', `/api/tasks/${task.id}`)).status, 200);
      const attempts = [
        ['flow.tasks.create', await viewer.client.post('flow', '/api/tasks', { json: { title: 'Nope' } })],
        ['flow.tasks.update', await viewer.client.patch('flow', `/api/tasks/${task.id}`, { json: { title: 'Nope' } })],
        ['flow.tasks.delete', await viewer.client.delete('flow', `/api/tasks/${task.id}`)],
      ] as const;
      for (const [permission, response] of attempts) {
        assert.equal(response.status, 403, permission);
        assert.deepEqual(response.json(), { error: { code: 'forbidden', message: `You need the permission "${permission}".` } });
        assert.equal((await deniedEntries(viewer.user.id, permission)).length, 1, permission);
      }
      assert.equal((await viewer.client.get('flow', `/api/tasks/${task.id}`)).json().title, 'Viewer target');
    });

    it('refuses a user without any flow role, even to read', async () => {
      const stranger = await signedIn(undefined);
      const response = await stranger.client.get('flow', '/api/tasks');
      assert.equal(response.status, 403);
      assert.equal(response.json().error.code, 'forbidden');
    });

    it('refuses an editor changing or deleting another editor\'s task (403, audited)', async () => {
      const task = await createTask(editor.client, { title: 'Mine, not yours' });
      const patch = await otherEditor.client.patch('flow', `/api/tasks/${task.id}`, { json: { status: 'done' } });
      assert.equal(patch.status, 403);
      assert.equal(patch.json().error.code, 'forbidden');
      assert.match(patch.json().error.message, /only change your own tasks/);
      const del = await otherEditor.client.delete('flow', `/api/tasks/${task.id}`);
      assert.equal(del.status, 403);
      assert.equal(del.json().error.code, 'forbidden');
      assert.match(del.json().error.message, /only delete your own tasks/);

      const entries = await deniedEntries(otherEditor.user.id, 'flow.tasks.manage');
      assert.equal(entries.length, 2);
      assert.deepEqual(entries.map((e) => e.details?.taskId), [task.id, task.id]);
      assert.deepEqual(entries.map((e) => e.details?.action).sort(), ['delete', 'update']);

      const unchanged = (await editor.client.get('flow', `/api/tasks/${task.id}`)).json();
      assert.equal(unchanged.status, 'todo');
    });

    it('lets an editor update (not delete) a task assigned to them', async () => {
      const task = await createTask(editor.client, { title: 'Handed over', assigneeId: otherEditor.user.id });
      const patch = await otherEditor.client.patch('flow', `/api/tasks/${task.id}`, { json: { status: 'done', title: 'Handed over and done' } });
      assert.equal(patch.status, 200);
      assert.equal(patch.json().status, 'done');
      assert.equal(patch.json().ownerId, editor.user.id);
      const del = await otherEditor.client.delete('flow', `/api/tasks/${task.id}`);
      assert.equal(del.status, 403);
      assert.equal((await editor.client.delete('flow', `/api/tasks/${task.id}`)).status, 204);
    });

    it('refuses an assignee who cannot see tasks (422 naming assigneeId), on create and update', async () => {
      const noRole = await server.createUser();
      const linksOnly = await server.createUser({ roles: [{ app: 'links', role: 'admin' }] });
      const revoked = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
      await server.services.rbac.revoke(revoked.id, { app: 'flow', role: 'editor' });
      const cannotSee = /^cannot see tasks: the user has no Flow role with flow\.tasks\.read$/;

      for (const user of [noRole, linksOnly, revoked]) {
        const created = await editor.client.post('flow', '/api/tasks', { json: { title: `For ${user.id}`, assigneeId: user.id } });
        assert.equal(created.status, 422, created.text);
        assert.equal(created.json().error.code, 'validation_failed');
        assert.deepEqual(Object.keys(created.json().error.fields), ['assigneeId']);
        assert.match(created.json().error.fields.assigneeId, cannotSee);
        assert.deepEqual((await viewer.client.get('flow', `/api/tasks?assignee=${user.id}`)).json().data, [], 'no task was created');
      }

      // The finding: an assignee handing the task on to someone who then could not see it.
      const task = await createTask(otherEditor.client, { title: 'Handed on', assigneeId: editor.user.id });
      for (const client of [editor.client, otherEditor.client, admin.client]) {
        const handed = await client.patch('flow', `/api/tasks/${task.id}`, { json: { assigneeId: noRole.id, title: 'Renamed' } });
        assert.equal(handed.status, 422, handed.text);
        assert.match(handed.json().error.fields.assigneeId, cannotSee);
      }
      const unchanged = (await viewer.client.get('flow', `/api/tasks/${task.id}`)).json();
      assert.equal(unchanged.assigneeId, editor.user.id);
      assert.equal(unchanged.title, 'Handed on');

      // A viewer can see the task, so may be assigned; unassigning is always allowed.
      const toViewer = await editor.client.patch('flow', `/api/tasks/${task.id}`, { json: { assigneeId: viewer.user.id } });
      assert.equal(toViewer.status, 200, toViewer.text);
      assert.equal(toViewer.json().assigneeId, viewer.user.id);
      assert.equal((await otherEditor.client.patch('flow', `/api/tasks/${task.id}`, { json: { assigneeId: null } })).json().assigneeId, null);
    });

    it('lets an admin (flow.tasks.manage) change and delete anyone\'s task', async () => {
      const task = await createTask(editor.client, { title: 'Admin may touch' });
      const patch = await admin.client.patch('flow', `/api/tasks/${task.id}`, { json: { assigneeId: viewer.user.id, status: 'doing' } });
      assert.equal(patch.status, 200);
      assert.equal(patch.json().assigneeId, viewer.user.id);
      assert.equal(patch.json().ownerId, editor.user.id);
      assert.equal((await admin.client.delete('flow', `/api/tasks/${task.id}`)).status, 204);
      assert.equal((await admin.client.get('flow', `/api/tasks/${task.id}`)).status, 404);
    });
  });

  describe('validation', () => {
    let taskId: number;
    before(async () => {
      taskId = (await createTask(editor.client, { title: 'Validation target' })).id;
    });

    it('refuses wrong types, unknown fields and malformed values with 400', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ title: 123 }, 'title'],
        [{}, 'title'],
        [{ title: 'ok', bogus: true }, 'bogus'],
        [{ title: 'ok', status: 'later' }, 'status'],
        [{ title: 'ok', dueDate: 'tomorrow' }, 'dueDate'],
        [{ title: 'ok', dueDate: '2026-1-5' }, 'dueDate'],
        [{ title: 'ok', assigneeId: '2' }, 'assigneeId'],
        [{ title: 'ok', assigneeId: 1.5 }, 'assigneeId'],
        [{ title: 'ok', description: null }, 'description'],
        [{ title: 'x'.repeat(201) }, 'title'],
        [{ title: 'ok', description: 'x'.repeat(5001) }, 'description'],
      ];
      for (const [body, field] of cases) {
        const response = await editor.client.post('flow', '/api/tasks', { json: body });
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.json().error.code, 'validation_failed');
        assert.ok(field in response.json().error.fields, `${JSON.stringify(body)} → ${response.text}`);
      }
      const unknownField = await editor.client.patch('flow', `/api/tasks/${taskId}`, { json: { ownerId: viewer.user.id } });
      assert.equal(unknownField.status, 400);
      assert.equal(unknownField.json().error.fields.ownerId, 'is not an allowed field');
      const wrongType = await editor.client.patch('flow', `/api/tasks/${taskId}`, { json: { status: 2 } });
      assert.equal(wrongType.status, 400);
    });

    it('refuses semantically invalid values with 422 and the field', async () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ title: '   ' }, 'title', 'is required'],
        [{ title: 'ok', dueDate: '2026-02-30' }, 'dueDate', 'must be a real date as YYYY-MM-DD'],
        [{ title: 'ok', dueDate: '2025-02-29' }, 'dueDate', 'must be a real date as YYYY-MM-DD'],
        [{ title: 'ok', dueDate: '2026-13-01' }, 'dueDate', 'must be a real date as YYYY-MM-DD'],
        [{ title: 'ok', assigneeId: 999_999 }, 'assigneeId', 'is not a known user'],
      ];
      for (const [body, field, message] of cases) {
        const response = await editor.client.post('flow', '/api/tasks', { json: body });
        assert.equal(response.status, 422, JSON.stringify(body));
        assert.deepEqual(response.json().error.fields, { [field]: message });
        assert.equal(response.json().error.code, 'validation_failed');
      }
      const patch = await editor.client.patch('flow', `/api/tasks/${taskId}`, { json: { title: '\t ', assigneeId: 999_999 } });
      assert.equal(patch.status, 422);
      assert.deepEqual(patch.json().error.fields, { title: 'is required', assigneeId: 'is not a known user' });
      assert.equal((await editor.client.get('flow', `/api/tasks/${taskId}`)).json().title, 'Validation target');
    });

    it('refuses an empty PATCH (nothing to change)', async () => {
      const response = await editor.client.patch('flow', `/api/tasks/${taskId}`, { json: {} });
      assert.equal(response.status, 400);
      assert.equal(response.json().error.code, 'bad_request');
      assert.match(response.json().error.message, /Nothing to change/);
    });

    it('answers 404 for an unknown id and 400 for an id that is not a positive integer', async () => {
      for (const response of [
        await admin.client.get('flow', '/api/tasks/999999'),
        await admin.client.patch('flow', '/api/tasks/999999', { json: { title: 'x' } }),
        await admin.client.delete('flow', '/api/tasks/999999'),
      ]) {
        assert.equal(response.status, 404);
        assert.deepEqual(response.json(), { error: { code: 'not_found', message: 'Task not found.' } });
      }
      for (const id of ['abc', '0', '-1', '1.5', '99999999999']) {
        const response = await admin.client.get('flow', `/api/tasks/${id}`);
        assert.equal(response.status, 400, id);
        assert.equal(response.json().error.code, 'validation_failed');
        assert.equal((await admin.client.delete('flow', `/api/tasks/${id}`)).status, 400, id);
      }
    });

    it('answers 400 to malformed JSON and 413 to a body over the limit', async () => {
      const malformed = await editor.client.post('flow', '/api/tasks', { body: '{"title": "x",', headers: { 'content-type': 'application/json' } });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.json().error.code, 'invalid_json');
      const patchMalformed = await editor.client.patch('flow', `/api/tasks/${taskId}`, { body: 'not json', headers: { 'content-type': 'application/json' } });
      assert.equal(patchMalformed.status, 400);

      const huge = await editor.client.post('flow', '/api/tasks', { json: { title: 'big', description: 'x'.repeat(1024 * 1024 + 10) } });
      assert.equal(huge.status, 413);
      assert.equal(huge.json().error.code, 'payload_too_large');
    });
  });

  describe('listing', () => {
    it('pages newest first through 30 tasks with limit=10, without duplicates', async () => {
      const assignee = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
      const created: number[] = [];
      for (let i = 0; i < 30; i++) created.push((await createTask(admin.client, { title: `Paged ${i}`, assigneeId: assignee.id })).id);

      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/api/tasks?assignee=${assignee.id}&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const response = await viewer.client.get('flow', query);
        assert.equal(response.status, 200);
        const body = response.json();
        assert.deepEqual(Object.keys(body).sort(), ['data', 'next']);
        assert.equal(body.data.length, 10);
        seen.push(...body.data.map((t: { id: number }) => t.id));
        cursor = body.next;
        pages += 1;
        if (pages < 3) assert.equal(typeof cursor, 'string');
      } while (cursor !== null && pages < 10);
      assert.equal(pages, 3);
      assert.equal(new Set(seen).size, 30);
      assert.deepEqual(seen, [...created].reverse());
    });

    it('pages through the whole list with the default limit', async () => {
      const first = await viewer.client.get('flow', '/api/tasks');
      assert.equal(first.status, 200);
      assert.equal(first.json().data.length, 25);
      const ids: number[] = first.json().data.map((t: { id: number }) => t.id);
      let next: string | null = first.json().next;
      while (next) {
        const response = await viewer.client.get('flow', `/api/tasks?cursor=${encodeURIComponent(next)}`);
        ids.push(...response.json().data.map((t: { id: number }) => t.id));
        next = response.json().next;
      }
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    });

    it('refuses a garbage cursor or limit with 400', async () => {
      for (const query of ['cursor=garbage!', `cursor=${Buffer.from('id:abc').toString('base64url')}`, `cursor=${'A'.repeat(65)}`, 'limit=0', 'limit=101', 'limit=ten']) {
        const response = await viewer.client.get('flow', `/api/tasks?${query}`);
        assert.equal(response.status, 400, query);
        assert.ok(['bad_request', 'validation_failed'].includes(response.json().error.code), query);
      }
    });

    it('filters by status and assignee (me or an id)', async () => {
      const me = await signedIn('editor');
      const mine = [
        await createTask(admin.client, { title: 'F todo', assigneeId: me.user.id }),
        await createTask(admin.client, { title: 'F doing', status: 'doing', assigneeId: me.user.id }),
        await createTask(admin.client, { title: 'F done', status: 'done', assigneeId: me.user.id }),
      ];
      await createTask(admin.client, { title: 'F someone else', status: 'done', assigneeId: viewer.user.id });

      const titles = async (client: HostClient, query: string) => {
        const response = await client.get('flow', `/api/tasks?${query}`);
        assert.equal(response.status, 200, query);
        return response.json().data.map((t: { title: string }) => t.title);
      };
      assert.deepEqual(await titles(me.client, 'assignee=me'), ['F done', 'F doing', 'F todo']);
      assert.deepEqual(await titles(viewer.client, `assignee=${me.user.id}`), ['F done', 'F doing', 'F todo']);
      assert.deepEqual(await titles(me.client, 'assignee=me&status=doing'), ['F doing']);
      assert.deepEqual(await titles(viewer.client, 'assignee=999999'), []);

      const done = (await viewer.client.get('flow', '/api/tasks?status=done&limit=100')).json().data as { status: string; id: number }[];
      assert.ok(done.length >= 2);
      assert.ok(done.every((t) => t.status === 'done'));
      assert.ok(done.some((t) => t.id === mine[2]!.id));

      for (const query of ['status=later', 'assignee=someone', 'assignee=0', 'assignee=99999999999']) {
        const response = await viewer.client.get('flow', `/api/tasks?${query}`);
        assert.equal(response.status, 400, query);
      }
    });
  });
});
