import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/auth/users.ts';
import { formCsrf, type HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

/** A multipart body as the task page's upload form sends it: `_csrf` first (when given), then the file. */
async function uploadForm(fields: Record<string, string>, file: { bytes: Buffer; filename: string; type: string }): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.filename);
  const request = new Request('http://x/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

describe('flow task page, board filters and attachment forms', () => {
  let server: TestServer;
  let admin: { user: User; client: HostClient };
  let editor: { user: User; client: HostClient };
  let viewer: { user: User; client: HostClient };

  async function signedIn(role: 'admin' | 'editor' | 'viewer', name: string) {
    const user = await server.createUser({ roles: [{ app: 'flow', role }], name });
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    return { user, client };
  }
  async function createTask(client: HostClient, body: Record<string, unknown>): Promise<{ id: number; [key: string]: unknown }> {
    const response = await client.post('flow', '/api/tasks', { json: body });
    assert.equal(response.status, 201, response.text);
    return response.json();
  }
  /** Posts a page form as a browser does: the `_csrf` field from the page, no header. */
  const submit = (client: HostClient, pagePath: string, path: string, fields: Record<string, string>) => client.submitForm('flow', pagePath, path, fields);

  before(async () => {
    server = await startTestServer();
    admin = await signedIn('admin', 'Ada Admin');
    editor = await signedIn('editor', 'Eddie Editor');
    viewer = await signedIn('viewer', 'Vera Viewer');
  });
  after(() => server.close());

  it('shows every field, dates as <time>, and an edit form only to those who may change the task', async () => {
    const task = await createTask(editor.client, { title: 'Paint <the> fence', description: 'Two coats\nwhite', dueDate: '2026-07-01', assigneeId: viewer.user.id });
    const own = await editor.client.get('flow', `/tasks/${task.id}`);
    assert.equal(own.status, 200);
    assert.ok(own.text.includes('<h1>Paint &lt;the&gt; fence</h1>'));
    assert.ok(own.text.includes('id="edit-task"'));
    assert.ok(own.text.includes('<textarea id="edit-description" name="description" rows="5" maxlength="5000">Two coats\nwhite</textarea>'));
    assert.ok(own.text.includes('value="2026-07-01"'));
    assert.match(own.text, /<time datetime="[^"]+" data-format="datetime">/);
    assert.ok(own.text.includes(`href="/tasks/${task.id}/delete"`));
    assert.ok(own.text.includes('<strong>Eddie Editor</strong> created the task'), 'the history starts with its creation');
    assert.ok(own.text.includes('enctype="multipart/form-data"'));

    const read = await viewer.client.get('flow', `/tasks/${task.id}`);
    assert.equal(read.status, 200);
    assert.ok(!read.text.includes('id="edit-task"') && !read.text.includes('enctype="multipart/form-data"') && !read.text.includes('/delete"'));
    assert.ok(read.text.includes('<dd>Vera Viewer</dd>'));
    assert.ok(read.text.includes('<time datetime="2026-07-01T00:00:00.000Z" data-format="date">2026-07-01</time>'));

    assert.equal((await viewer.client.get('flow', '/tasks/99999999')).status, 404);
    assert.equal((await viewer.client.get('flow', '/tasks/abc')).status, 400);
    const signedOut = await server.client().get('flow', `/tasks/${task.id}`);
    assert.equal(signedOut.status, 302);
  });

  it('edits every field from the form, records the history, and re-shows what was typed when refused (422)', async () => {
    const task = await createTask(editor.client, { title: 'Draft the plan' });
    const path = `/tasks/${task.id}`;
    const saved = await submit(editor.client, path, path, { title: 'Final plan', description: 'Agreed on Monday', status: 'doing', assigneeId: String(viewer.user.id), dueDate: '2026-08-15' });
    assert.equal(saved.status, 303, saved.text);
    assert.equal(saved.headers.location, path);
    const json = (await admin.client.get('flow', `/api/tasks/${task.id}`)).json();
    assert.deepEqual(
      { title: json.title, description: json.description, status: json.status, assigneeId: json.assigneeId, dueDate: json.dueDate },
      { title: 'Final plan', description: 'Agreed on Monday', status: 'doing', assigneeId: viewer.user.id, dueDate: '2026-08-15' },
    );
    const page = (await editor.client.get('flow', path)).text;
    assert.ok(page.includes('<p class="flash" role="status">Saved.</p>'));
    for (const line of ['renamed the task to “Final plan”', 'changed the description', 'changed status from To do to Doing', 'assigned the task to Vera Viewer', 'set the due date to 2026-08-15']) {
      assert.ok(page.includes(`<strong>Eddie Editor</strong> ${line}`), line);
    }

    const refused = await submit(editor.client, path, path, { title: '  ', description: 'kept <b>', status: 'later', assigneeId: '', dueDate: '2026-02-30' });
    assert.equal(refused.status, 422);
    assert.ok(refused.text.includes('Title is required. Status must be one of todo, doing, done. Due date must be a real date as YYYY-MM-DD.'), refused.text);
    assert.ok(refused.text.includes('>kept &lt;b&gt;</textarea>'), 'the typed description is kept');
    assert.equal((await admin.client.get('flow', `/api/tasks/${task.id}`)).json().title, 'Final plan', 'nothing changed');

    const noToken = await editor.client.post('flow', path, { form: { title: 'x', status: 'todo' }, csrf: false });
    assert.equal(noToken.status, 403);
    const foreign = await createTask(admin.client, { title: 'Admin only' });
    assert.equal((await submit(editor.client, path, `/tasks/${foreign.id}`, { title: 'mine now', status: 'todo' })).status, 403);
    assert.equal((await submit(viewer.client, path, path, { title: 'viewer', status: 'todo' })).status, 403);
  });

  it('deletes through a confirmation page', async () => {
    const task = await createTask(editor.client, { title: 'Throw away' });
    const confirm = await editor.client.get('flow', `/tasks/${task.id}/delete`);
    assert.equal(confirm.status, 200);
    assert.ok(confirm.text.includes('<h1>Delete “Throw away”?</h1>'));
    assert.ok(confirm.text.includes(`action="/tasks/${task.id}/delete"`) && confirm.text.includes(`<a href="/tasks/${task.id}">Cancel</a>`));
    assert.equal((await viewer.client.get('flow', `/tasks/${task.id}/delete`)).status, 403, 'no confirmation for who may not delete');
    const done = await submit(editor.client, `/tasks/${task.id}/delete`, `/tasks/${task.id}/delete`, {});
    assert.equal(done.status, 303);
    assert.ok((await editor.client.get('flow', '/')).text.includes('Deleted “Throw away”.'));
    assert.equal((await editor.client.get('flow', `/tasks/${task.id}`)).status, 404);
  });

  it('uploads from the page form (its _csrf field, no header), refuses it without the token, and deletes a file', async () => {
    const task = await createTask(editor.client, { title: 'With files' });
    const path = `/tasks/${task.id}`;
    const token = formCsrf(await editor.client.get('flow', path));
    const file = { bytes: Buffer.from('hello from the page form\n'), filename: 'notes.txt', type: 'text/plain' };

    const forged = await uploadForm({}, file);
    const refused = await editor.client.post('flow', `${path}/attachments`, { body: forged.body, headers: { 'content-type': forged.contentType }, csrf: false });
    assert.equal(refused.status, 403, refused.text);
    assert.equal((await editor.client.get('flow', `/api/tasks/${task.id}/attachments`)).json().data.length, 0, 'nothing was stored');

    const wrong = await uploadForm({ _csrf: 'not-the-token' }, file);
    assert.equal((await editor.client.post('flow', `${path}/attachments`, { body: wrong.body, headers: { 'content-type': wrong.contentType }, csrf: false })).status, 403);

    const form = await uploadForm({ _csrf: token }, file);
    const uploaded = await editor.client.post('flow', `${path}/attachments`, { body: form.body, headers: { 'content-type': form.contentType }, csrf: false });
    assert.equal(uploaded.status, 303, uploaded.text);
    assert.equal(uploaded.headers.location, `${path}#attachments`);
    const [attachment] = (await editor.client.get('flow', `/api/tasks/${task.id}/attachments`)).json().data;
    assert.equal(attachment.filename, 'notes.txt');
    const download = await viewer.client.get('flow', `/api/tasks/${task.id}/attachments/${attachment.id}`);
    assert.equal(download.text, 'hello from the page form\n');
    let page = (await editor.client.get('flow', path)).text;
    assert.ok(page.includes('Uploaded notes.txt.'));
    assert.ok(page.includes(`href="/api/tasks/${task.id}/attachments/${attachment.id}" download="notes.txt"`));
    assert.ok(page.includes('<strong>Eddie Editor</strong> attached notes.txt'));

    const bad = await uploadForm({ _csrf: token }, { bytes: Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0, 0, 0, 0x04, 0, 0, 0, 0xff, 0xff]), filename: 'tool.exe', type: 'application/octet-stream' });
    const refusedType = await editor.client.post('flow', `${path}/attachments`, { body: bad.body, headers: { 'content-type': bad.contentType }, csrf: false });
    assert.equal(refusedType.status, 303);
    assert.match((await editor.client.get('flow', path)).text, /<p class="flash error" role="alert">Not uploaded: [^<]+<\/p>/, 'a refused file is an alert on the page');

    const removed = await submit(editor.client, path, `${path}/attachments/${attachment.id}/delete`, {});
    assert.equal(removed.status, 303);
    assert.equal((await editor.client.get('flow', `/api/tasks/${task.id}/attachments`)).json().data.length, 0);
    page = (await editor.client.get('flow', path)).text;
    assert.ok(page.includes('<strong>Eddie Editor</strong> removed notes.txt'));
    assert.equal((await submit(viewer.client, path, `${path}/attachments/${attachment.id}/delete`, {})).status, 403);
  });

  it('filters the board by assignee and due date, sorts by due date, and returns to the same view after a status change', async () => {
    const tag = `F${Date.now()}`;
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const late = await createTask(admin.client, { title: `${tag} late`, dueDate: day(-3), assigneeId: editor.user.id });
    await createTask(admin.client, { title: `${tag} soon`, dueDate: day(2) });
    await createTask(admin.client, { title: `${tag} later`, dueDate: day(30), assigneeId: editor.user.id });
    await createTask(admin.client, { title: `${tag} undated` });
    const titles = (text: string) => [...text.matchAll(new RegExp(`<strong>(${tag} [a-z]+)</strong>`, 'g'))].map((m) => m[1]);

    assert.deepEqual(titles((await editor.client.get('flow', '/?assignee=me&sort=oldest')).text), [`${tag} late`, `${tag} later`]);
    assert.deepEqual(titles((await editor.client.get('flow', '/?due=overdue')).text), [`${tag} late`]);
    assert.deepEqual(titles((await editor.client.get('flow', '/?due=week')).text), [`${tag} soon`]);
    assert.ok(titles((await editor.client.get('flow', '/?due=none')).text).includes(`${tag} undated`));
    assert.deepEqual(titles((await editor.client.get('flow', '/?assignee=none&sort=due')).text).filter((t) => t !== `${tag} undated`).slice(0, 1), [`${tag} soon`]);
    const sorted = titles((await editor.client.get('flow', '/?sort=due')).text);
    assert.deepEqual(sorted.indexOf(`${tag} late`) < sorted.indexOf(`${tag} soon`) && sorted.indexOf(`${tag} soon`) < sorted.indexOf(`${tag} later`), true, sorted.join(', '));
    assert.equal((await editor.client.get('flow', '/?due=someday')).status, 400);
    assert.equal((await editor.client.get('flow', '/?assignee=bob')).status, 400);

    const changed = await submit(admin.client, '/?assignee=me', `/tasks/${late.id}/status`, { status: 'done', back: 'assignee=none&due=overdue&sort=due&evil=https://x' });
    assert.equal(changed.status, 303);
    assert.equal(changed.headers.location, '/?assignee=none&due=overdue&sort=due', 'only the known filters come back');
    assert.ok((await admin.client.get('flow', '/')).text.includes(`“${tag} late” is now Done.`), 'the change is confirmed on the page');
    const junk = await submit(admin.client, '/', `/tasks/${late.id}/status`, { status: 'doing', back: 'due=//evil.example' });
    assert.equal(junk.headers.location, '/');
  });

  it('subscribes to the daily report from the settings page, and unsubscribes', async () => {
    const page = await editor.client.get('flow', '/settings');
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('<input type="checkbox" name="subscribed" id="report-subscribed">'), 'not subscribed yet');
    assert.ok((await editor.client.get('flow', '/')).text.includes('<a href="/settings">Settings</a>'));
    const on = await submit(editor.client, '/settings', '/settings/report', { subscribed: 'on' });
    assert.equal(on.status, 303);
    assert.deepEqual((await editor.client.get('flow', '/api/report-subscription')).json(), { subscribed: true });
    const shown = (await editor.client.get('flow', '/settings')).text;
    assert.ok(shown.includes('id="report-subscribed" checked>') && shown.includes(`The daily report will be mailed to ${editor.user.email}.`));
    const off = await submit(editor.client, '/settings', '/settings/report', {});
    assert.equal(off.status, 303);
    assert.deepEqual((await editor.client.get('flow', '/api/report-subscription')).json(), { subscribed: false });
    assert.equal((await submit(editor.client, '/settings', '/settings/report', { subscribed: 'yes' })).status, 400);
    assert.equal((await editor.client.post('flow', '/settings/report', { form: { subscribed: 'on' }, csrf: false })).status, 403);
    assert.equal((await server.client().get('flow', '/settings')).status, 302);
  });
});
