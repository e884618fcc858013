import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChannelEvent } from '../../src/realtime/contract.ts';
import { channelAuth } from '../../src/realtime/signature.ts';
import { CLICKS_JOB, clickJobs } from '../../apps/links/clicks.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { APP, realtimeEnv } from '../realtime/support.ts';

describe('POST /broadcasting/auth and the flow broadcasts', () => {
  let server: TestServer;
  const events: ChannelEvent[] = [];
  before(async () => {
    server = await startTestServer(realtimeEnv({ BROADCAST_CONNECTION: 'memory' }));
    server.services.broadcast.onEvent((e) => events.push(e));
  });
  after(async () => server?.close());

  it('signs a private channel for a user with the permission, on any app host, with the session and CSRF', async () => {
    const viewer = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const browser = server.client();
    await browser.signIn('links', viewer.email, TEST_PASSWORD);
    for (const host of ['flow', 'links', 'accounts']) {
      const response = await browser.post(host, '/broadcasting/auth', { form: { socket_id: '123.456', channel_name: 'private-flow.tasks' } });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json(), { auth: channelAuth(APP.key, APP.secret, '123.456', 'private-flow.tasks') });
    }
    const withoutCsrf = await browser.post('flow', '/broadcasting/auth', { form: { socket_id: '123.456', channel_name: 'private-flow.tasks' }, csrf: false });
    assert.equal(withoutCsrf.status, 403);
    const json = await browser.post('flow', '/broadcasting/auth', { json: { socket_id: '1.2', channel_name: 'private-links.clicks' } });
    assert.equal(json.status, 403, 'a flow viewer may not hear link clicks');
  });

  it('answers channel_data (user id and name) for presence, signed with it', async () => {
    const ann = await server.createUser({ name: 'Ann Presence', roles: [{ app: 'flow', role: 'viewer' }] });
    const browser = server.client();
    await browser.signIn('flow', ann.email, TEST_PASSWORD);
    const response = await browser.post('flow', '/broadcasting/auth', { form: { socket_id: '9.9', channel_name: 'presence-flow.board' } });
    assert.equal(response.status, 200, response.text);
    const body = response.json() as { auth: string; channel_data: string };
    assert.deepEqual(JSON.parse(body.channel_data), { user_id: String(ann.id), user_info: { name: 'Ann Presence' } });
    assert.equal(body.auth, channelAuth(APP.key, APP.secret, '9.9', 'presence-flow.board', body.channel_data));
  });

  it('refuses the signed out (401), undeclared channels (403), public channels and bad input (4xx)', async () => {
    const anonymous = server.client();
    assert.equal((await anonymous.post('flow', '/broadcasting/auth', { form: { socket_id: '1.2', channel_name: 'private-flow.tasks' } })).status, 401);
    const admin = await server.createUser({ roles: [{ app: 'flow', role: 'admin' }] });
    const browser = server.client();
    await browser.signIn('flow', admin.email, TEST_PASSWORD);
    const cases: [Record<string, string>, number][] = [
      [{ socket_id: '1.2', channel_name: 'private-secret.things' }, 403],
      [{ socket_id: '1.2', channel_name: 'news' }, 422],
      [{ socket_id: '1.2', channel_name: 'private-has space' }, 422],
      [{ socket_id: 'abc', channel_name: 'private-flow.tasks' }, 400],
      [{ channel_name: 'private-flow.tasks' }, 400],
    ];
    for (const [form, status] of cases) assert.equal((await browser.post('flow', '/broadcasting/auth', { form })).status, status, JSON.stringify(form));
  });

  it('flow broadcasts task.created, task.updated and task.deleted on private-flow.tasks', async () => {
    const editor = await server.createUser({ roles: [{ app: 'flow', role: 'editor' }] });
    const api = server.client();
    await api.signIn('flow', editor.email, TEST_PASSWORD);
    events.length = 0;
    const created = (await api.post('flow', '/api/tasks', { json: { title: 'Broadcast me' } })).json() as { id: number };
    await api.patch('flow', `/api/tasks/${created.id}`, { json: { status: 'doing' } });
    await api.delete('flow', `/api/tasks/${created.id}`);
    const seen = events.filter((e) => e.channel === 'private-flow.tasks').map((e) => [e.event, JSON.parse(e.data) as { id: number; status?: string }] as const);
    assert.deepEqual(seen.map(([event, data]) => [event, data.id]), [['task.created', created.id], ['task.updated', created.id], ['task.deleted', created.id]]);
    assert.equal(seen[1]![1].status, 'doing');
  });
});

describe('links broadcasts counted clicks', () => {
  it('sends clicks.counted on private-links.clicks once per batch, not for a redelivered one', async () => {
    const server = await startTestServer(realtimeEnv({ BROADCAST_CONNECTION: 'memory' }));
    try {
      const events: ChannelEvent[] = [];
      server.services.broadcast.onEvent((e) => events.push(e));
      const editor = await server.createUser({ roles: [{ app: 'links', role: 'editor' }] });
      const api = server.client();
      await api.signIn('links', editor.email, TEST_PASSWORD);
      const link = (await api.post('links', '/api/links', { json: { url: 'https://example.com/live' } })).json() as { id: number };
      const handler = clickJobs(server.services)[CLICKS_JOB]!;
      const batch = { batch: 'batch-live-1', day: new Date().toISOString().slice(0, 10), counts: [[link.id, 3]] };
      const signal = new AbortController().signal;
      await handler(batch, { job: {} as never, signal });
      await handler(batch, { job: {} as never, signal });
      const counted = events.filter((e) => e.channel === 'private-links.clicks');
      assert.equal(counted.length, 1);
      assert.deepEqual(JSON.parse(counted[0]!.data), { counts: [[link.id, 3]] });
      assert.equal(((await api.get('links', `/api/links/${link.id}`)).json() as { clicks: number }).clicks, 3);
    } finally {
      await server.close();
    }
  });
});

describe('POST /broadcasting/auth without REVERB_APP_*', () => {
  it('answers 404 not_configured', async () => {
    const server = await startTestServer({ REVERB_APP_ID: '', REVERB_APP_KEY: '', REVERB_APP_SECRET: '' });
    try {
      const user = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
      const browser = server.client();
      await browser.signIn('flow', user.email, TEST_PASSWORD);
      const response = await browser.post('flow', '/broadcasting/auth', { form: { socket_id: '1.2', channel_name: 'private-flow.tasks' } });
      assert.equal(response.status, 404);
      assert.equal((response.json() as { error: { code: string } }).error.code, 'not_configured');
    } finally {
      await server.close();
    }
  });
});
