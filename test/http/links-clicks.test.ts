import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLICKS_JOB, clickJobs, LEDGER_KEEP_MS, rollUpClicks } from '../../apps/links/clicks.ts';
import type { LinksDatabase } from '../../apps/links/links-store.ts';
import type { ReservedJob } from '../../src/queue/contract.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { until } from '../support/wait.ts';

describe('links click counting through the queue', () => {
  let server: TestServer;
  let editor: HostClient;
  const run = (payload: unknown) =>
    clickJobs(server.services)[CLICKS_JOB]!(payload as never, { job: {} as ReservedJob, signal: new AbortController().signal });
  const link = async (slug: string) => {
    const response = await editor.post('links', '/api/links', { json: { url: `https://example.com/${slug}`, slug } });
    assert.equal(response.status, 201, response.text);
    return response.json() as { id: number };
  };
  const clicks = async (id: number) => (await editor.get('links', `/api/links/${id}`)).json().clicks as number;

  before(async () => {
    server = await startTestServer();
    const user = await server.createUser({ roles: [{ app: 'links', role: 'editor' }] });
    editor = server.client();
    await editor.signIn('links', user.email, TEST_PASSWORD);
  });
  after(() => server.close());

  it('a redirect only queues the click; the job adds it', async () => {
    const { id } = await link('queued');
    const visitor = server.client();
    for (let i = 0; i < 4; i++) assert.equal((await visitor.get('links', '/queued')).status, 302);
    // No worker runs in this server: the clicks wait in the queue (at most a second in memory first).
    await until(async () => (await server.services.queue.stats(['default']))[0]!.waiting > 0, 5_000);
    assert.equal(await clicks(id), 0);
  });

  it('counts a batch once, however often it is delivered', async () => {
    const { id } = await link('twice');
    const batch = { batch: '6b0f4a3e-6d7a-4bd0-9a43-0c1d6f0e0001', day: '2026-11-22', counts: [[id, 5]] };
    await run(batch);
    await run(batch);
    assert.equal(await clicks(id), 5);
  });

  it('refuses a malformed batch with a clear error', async () => {
    for (const bad of [null, {}, { batch: 'x', day: 'today', counts: [[1, 1]] }, { batch: 'x', day: '2026-11-22', counts: [] }, { batch: 'x', day: '2026-11-22', counts: [[1, -3]] }]) {
      await assert.rejects(run(bad), /links\.clicks: malformed batch/);
    }
  });

  it('rolls the ledger up into per-day totals, which /api/links/:id/clicks reports', async () => {
    const { id } = await link('daily');
    await run({ batch: '6b0f4a3e-6d7a-4bd0-9a43-0c1d6f0e0002', day: '2026-11-20', counts: [[id, 2]] });
    await run({ batch: '6b0f4a3e-6d7a-4bd0-9a43-0c1d6f0e0003', day: '2026-11-20', counts: [[id, 3]] });
    await run({ batch: '6b0f4a3e-6d7a-4bd0-9a43-0c1d6f0e0004', day: '2026-11-21', counts: [[id, 1]] });
    const connection = server.services.databases.get<LinksDatabase>('links');
    assert.equal(await rollUpClicks(connection, Date.now()), 0, 'nothing is older than the redelivery window yet');
    assert.ok((await rollUpClicks(connection, Date.now() + LEDGER_KEEP_MS + 1)) >= 2);
    const ledger = await connection.db.selectFrom('link_click_ledger').selectAll().where('link_id', '=', id).execute();
    assert.deepEqual(ledger, []);
    const days = await editor.get('links', `/api/links/${id}/clicks?days=366`);
    assert.equal(days.status, 200);
    assert.deepEqual(days.json().data, [
      { day: '2026-11-21', clicks: 1 },
      { day: '2026-11-20', clicks: 5 },
    ]);
    assert.equal(await clicks(id), 6);
    assert.equal((await editor.get('links', `/api/links/${id}/clicks?days=0`)).status, 400);
    assert.equal((await editor.get('links', '/api/links/999999/clicks')).status, 404);
    assert.equal((await server.client().get('links', `/api/links/${id}/clicks`)).status, 401);
  });
});
