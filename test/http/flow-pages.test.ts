import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RoleRef } from '../../src/auth/permissions.ts';
import type { User } from '../../src/auth/users.ts';
import type { HostClient, TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

/** The `_csrf` value the page's forms carry. */
describe('flow pages', () => {
  let server: TestServer;
  let admin: { user: User; client: HostClient };
  let editor: { user: User; client: HostClient };
  let viewer: { user: User; client: HostClient };

  async function signedIn(role: RoleRef['role'], name?: string): Promise<{ user: User; client: HostClient }> {
    const user = await server.createUser({ roles: [{ app: 'flow', role }], ...(name ? { name } : {}) });
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    return { user, client };
  }

  async function createTask(client: HostClient, body: Record<string, unknown>): Promise<{ id: number; [key: string]: unknown }> {
    const response = await client.post('flow', '/api/tasks', { json: body });
    assert.equal(response.status, 201, response.text);
    return response.json();
  }

  async function apiTask(id: number): Promise<TestResponse> {
    return admin.client.get('flow', `/api/tasks/${id}`);
  }

  /** Posts a page form the way a browser does: the token in the `_csrf` field, no header. */
  const submit = (client: HostClient, path: string, fields: Record<string, string>) => client.submitForm('flow', '/', path, fields);

  before(async () => {
    server = await startTestServer();
    admin = await signedIn('admin', 'Ada Admin');
    editor = await signedIn('editor', 'Eddie Editor');
    viewer = await signedIn('viewer', 'Vera Viewer');
  });
  after(() => server.close());

  it('sends a signed-out visitor to the accounts sign-in', async () => {
    const response = await server.client().get('flow', '/');
    assert.equal(response.status, 302);
    const location = String(response.headers.location);
    const url = new URL(location);
    assert.equal(url.host, `accounts.marg.localhost:${server.port}`);
    assert.equal(url.pathname, '/signin');
    assert.equal(url.searchParams.get('next'), `http://flow.marg.localhost:${server.port}/`);
  });

  it('lists tasks with status, assignee and due date, escaping what users typed', async () => {
    const task = await createTask(admin.client, { title: '<script>x</script>', status: 'doing', assigneeId: editor.user.id, dueDate: '2026-05-04', description: 'a & b' });
    const response = await viewer.client.get('flow', '/');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.ok(response.text.includes('<h1>Tasks</h1>'));
    assert.ok(!response.text.includes('<script>x</script>'), 'the title is escaped');
    const row = new RegExp(`<tr id="task-${task.id}">[\\s\\S]*?</tr>`).exec(response.text)?.[0] ?? '';
    assert.ok(row.includes('<strong>&lt;script&gt;x&lt;/script&gt;</strong>'), row);
    assert.ok(row.includes('<span class="badge status-doing">Doing</span>'), row);
    assert.ok(row.includes('Eddie Editor'), row);
    assert.ok(row.includes('2026-05-04'), row);
    assert.ok(row.includes('a &amp; b'), row);
  });

  it('shows a viewer the list without any forms to change it', async () => {
    await createTask(editor.client, { title: 'Seen by the viewer' });
    const response = await viewer.client.get('flow', '/');
    assert.equal(response.status, 200);
    assert.ok(response.text.includes('Seen by the viewer'));
    assert.ok(!response.text.includes('id="create-task"'));
    assert.doesNotMatch(response.text, /action="\/tasks/);
    assert.ok(response.text.includes('id="filter-status"'), 'the status filter is still there');
  });

  it('shows an editor only the actions they may take on each task', async () => {
    const own = await createTask(editor.client, { title: 'Editor owns this' });
    const assigned = await createTask(admin.client, { title: 'Assigned to editor', assigneeId: editor.user.id });
    const foreign = await createTask(admin.client, { title: 'Admin only' });
    const page = (await editor.client.get('flow', '/')).text;
    assert.ok(page.includes('id="create-task"'));
    // A row: the status select (sent on change by the page script) and a link to the delete confirmation.
    assert.ok(page.includes(`action="/tasks/${own.id}/status"`));
    assert.ok(page.includes(`href="/tasks/${own.id}/delete"`));
    assert.ok(page.includes(`action="/tasks/${assigned.id}/status"`));
    assert.ok(!page.includes(`href="/tasks/${assigned.id}/delete"`));
    assert.ok(!page.includes(`action="/tasks/${foreign.id}/`));
    assert.ok(!page.includes(`href="/tasks/${foreign.id}/delete"`));
    assert.ok(page.includes(`href="/tasks/${foreign.id}"`), 'every title links to its task page');

    const adminPage = (await admin.client.get('flow', '/')).text;
    assert.ok(adminPage.includes(`href="/tasks/${own.id}/delete"`), 'an admin may delete anyone\'s task');
  });

  it('creates a task from the form (303) and lists it', async () => {
    const response = await submit(editor.client, '/tasks', { title: '  Plan the offsite ', description: 'Two days', assigneeId: String(viewer.user.id), dueDate: '2026-06-01' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.location, '/');
    const list = (await editor.client.get('flow', '/api/tasks?limit=1')).json().data[0];
    assert.deepEqual(
      { title: list.title, description: list.description, status: list.status, ownerId: list.ownerId, assigneeId: list.assigneeId, dueDate: list.dueDate },
      { title: 'Plan the offsite', description: 'Two days', status: 'todo', ownerId: editor.user.id, assigneeId: viewer.user.id, dueDate: '2026-06-01' },
    );
    const page = (await editor.client.get('flow', '/')).text;
    assert.ok(page.includes('<strong>Plan the offsite</strong>'));

    const minimal = await submit(editor.client, '/tasks', { title: 'Just a title', description: '', assigneeId: '', dueDate: '' });
    assert.equal(minimal.status, 303);
    const created = (await editor.client.get('flow', '/api/tasks?limit=1')).json().data[0];
    assert.equal(created.title, 'Just a title');
    assert.equal(created.assigneeId, null);
    assert.equal(created.dueDate, null);
  });

  it('refuses a form without the CSRF token (403) and creates nothing', async () => {
    await editor.client.get('flow', '/');
    const response = await editor.client.post('flow', '/tasks', { form: { title: 'Forged' }, csrf: false });
    assert.equal(response.status, 403);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    const wrong = await editor.client.post('flow', '/tasks', { form: { title: 'Forged', _csrf: 'x'.repeat(43) }, csrf: false });
    assert.equal(wrong.status, 403);
    const titles = (await admin.client.get('flow', '/api/tasks?limit=100')).json().data.map((t: { title: string }) => t.title);
    assert.ok(!titles.includes('Forged'));
  });

  it('re-renders the board with a message (422) when the form is invalid', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ title: '   ' }, 'Title is required.'],
      [{ title: 'Bad date', dueDate: '2026-02-30' }, 'Due date must be a real date as YYYY-MM-DD.'],
      [{ title: 'Bad date', dueDate: 'soon' }, 'Due date must be a real date as YYYY-MM-DD.'],
      [{ title: 'Nobody', assigneeId: '999999' }, 'Assignee is not a known user.'],
      [{ title: 'Nobody', assigneeId: 'abc' }, 'Assignee is not a known user.'],
      [{ title: 'x'.repeat(201) }, 'Title must be at most 200 characters.'],
    ];
    for (const [fields, message] of cases) {
      const response = await submit(editor.client, '/tasks', fields);
      assert.equal(response.status, 422, JSON.stringify(fields));
      assert.ok(response.text.includes('<h1>Tasks</h1>'));
      assert.ok(response.text.includes(`<p class="flash error" role="alert">${message}</p>`), response.text);
    }
    const kept = await submit(editor.client, '/tasks', { title: 'Keep <me>', dueDate: '2026-02-30', description: 'still here' });
    assert.ok(kept.text.includes('value="Keep &lt;me&gt;"'), 'the form keeps what was typed');
    assert.ok(kept.text.includes('>still here</textarea>'));

    const unknownField = await submit(editor.client, '/tasks', { title: 'x', ownerId: '1' });
    assert.equal(unknownField.status, 400);
  });

  it('changes status and assignee, and deletes, through the row forms', async () => {
    const task = await createTask(editor.client, { title: 'Row actions' });
    const status = await submit(editor.client, `/tasks/${task.id}/status`, { status: 'done' });
    assert.equal(status.status, 303);
    assert.equal(status.headers.location, '/');
    assert.equal((await apiTask(task.id)).json().status, 'done');

    const assign = await submit(editor.client, `/tasks/${task.id}/assignee`, { assigneeId: String(viewer.user.id), filter: 'done' });
    assert.equal(assign.status, 303);
    assert.equal(assign.headers.location, '/?status=done', 'back to the filtered list');
    assert.equal((await apiTask(task.id)).json().assigneeId, viewer.user.id);

    const unassign = await submit(editor.client, `/tasks/${task.id}/assignee`, { assigneeId: '' });
    assert.equal(unassign.status, 303);
    assert.equal((await apiTask(task.id)).json().assigneeId, null);

    const badStatus = await submit(editor.client, `/tasks/${task.id}/status`, { status: 'later' });
    assert.equal(badStatus.status, 422);
    assert.ok(badStatus.text.includes('Status must be one of todo, doing, done.'));
    const badAssignee = await submit(editor.client, `/tasks/${task.id}/assignee`, { assigneeId: '999999' });
    assert.equal(badAssignee.status, 422);
    assert.ok(badAssignee.text.includes('Assignee is not a known user.'));

    const del = await submit(editor.client, `/tasks/${task.id}/delete`, {});
    assert.equal(del.status, 303);
    assert.equal((await apiTask(task.id)).status, 404);
    const again = await submit(editor.client, `/tasks/${task.id}/delete`, {});
    assert.equal(again.status, 404);
    assert.match(String(again.headers['content-type']), /^text\/html/);
  });

  it('offers only users who can see tasks as assignees, and refuses the others (422)', async () => {
    const nobody = await server.createUser({ name: 'Nora Norole' });
    const linksOnly = await server.createUser({ name: 'Lionel Linksonly', roles: [{ app: 'links', role: 'admin' }] });
    const formerViewer = await server.createUser({ name: 'Fred Former', roles: [{ app: 'flow', role: 'viewer' }] });
    const task = await createTask(editor.client, { title: 'Pick someone', assigneeId: formerViewer.id });
    await server.services.rbac.revoke(formerViewer.id, { app: 'flow', role: 'viewer' });

    const offered = (text: string, id: number) => new RegExp(`<option value="${id}"[ >]`).test(text);
    const page = (await editor.client.get('flow', `/tasks/${task.id}`)).text;
    for (const user of [admin.user, editor.user, viewer.user]) assert.ok(offered(page, user.id), `${user.name} is offered`);
    for (const user of [nobody, linksOnly, formerViewer]) assert.ok(!offered(page, user.id), `${user.name} is not offered`);
    const board = (await editor.client.get('flow', '/')).text;
    assert.ok(board.includes('>Fred Former</td>'), 'a task given to someone who lost their role still names them');
    assert.ok(page.includes('<option value="" selected>Fred Former (cannot see tasks)</option>'), 'and its picker says so (submitting it unassigns)');

    const message = 'Assignee cannot see tasks: the user has no Flow role with flow.tasks.read.';
    for (const user of [nobody, linksOnly, formerViewer]) {
      const created = await submit(editor.client, '/tasks', { title: `For ${user.name}`, assigneeId: String(user.id) });
      assert.equal(created.status, 422, `create for ${user.name}`);
      assert.ok(created.text.includes(`<p class="flash error" role="alert">${message}</p>`), created.text);
      assert.ok(!offered(created.text, user.id), 'the re-rendered form does not offer them either');
      assert.deepEqual((await admin.client.get('flow', `/api/tasks?assignee=${user.id}`)).json().data.map((t: { id: number }) => t.id), user === formerViewer ? [task.id] : []);

      const assign = await submit(editor.client, `/tasks/${task.id}/assignee`, { assigneeId: String(user.id) });
      assert.equal(assign.status, 422, `assign to ${user.name}`);
      assert.ok(assign.text.includes(message));
    }
    assert.equal((await submit(editor.client, `/tasks/${task.id}/assignee`, { assigneeId: String(viewer.user.id) })).status, 303);
    assert.equal((await apiTask(task.id)).json().assigneeId, viewer.user.id);
  });

  it('refuses row actions the user may not take (403 page)', async () => {
    const foreign = await createTask(admin.client, { title: 'Not the editor\'s' });
    const status = await submit(editor.client, `/tasks/${foreign.id}/status`, { status: 'done' });
    assert.equal(status.status, 403);
    assert.ok(status.text.includes('You can only change your own tasks'));
    assert.equal((await submit(editor.client, `/tasks/${foreign.id}/delete`, {})).status, 403);
    assert.equal((await submit(viewer.client, `/tasks/${foreign.id}/assignee`, { assigneeId: '' })).status, 403);
    assert.equal((await submit(viewer.client, '/tasks', { title: 'Viewer task' })).status, 403);
    assert.equal((await apiTask(foreign.id)).json().status, 'todo');
    assert.equal((await submit(editor.client, '/tasks/abc/delete', {})).status, 400);
  });

  it('filters by status and pages with an "older" link', async () => {
    await createTask(admin.client, { title: 'Filter doing one', status: 'doing' });
    await createTask(admin.client, { title: 'Filter done one', status: 'done' });
    const doing = await viewer.client.get('flow', '/?status=doing');
    assert.equal(doing.status, 200);
    assert.ok(doing.text.includes('Filter doing one'));
    assert.ok(!doing.text.includes('Filter done one'));
    assert.ok(doing.text.includes('<option value="doing" selected>'));
    assert.equal((await viewer.client.get('flow', '/?status=later')).status, 400);
    assert.equal((await viewer.client.get('flow', '/?page=garbage!')).status, 400);
    assert.equal((await viewer.client.get('flow', '/?page=0')).status, 400);

    for (let i = 0; i < 26; i++) await createTask(admin.client, { title: `Bulk ${i}` });
    const first = await viewer.client.get('flow', '/');
    const older = /<a href="([^"]+)" rel="next">/.exec(first.text)?.[1];
    assert.ok(older, 'a link to older tasks');
    const second = await viewer.client.get('flow', older.replaceAll('&amp;', '&'));
    assert.equal(second.status, 200);
    assert.ok(second.text.includes('Bulk 0'));
    assert.ok(!second.text.includes('Bulk 25'));
    const newer = /<a href="([^"]+)" rel="prev">/.exec(second.text)?.[1];
    assert.equal(newer, '/', 'and back to the first page');
  });
});
