import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RoleRef } from '../../src/auth/permissions.ts';
import type { User } from '../../src/auth/users.ts';
import type { HostClient } from '../support/client.ts';
import { healthDetails, startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import { until } from '../support/wait.ts';
import { TASKS_INDEX } from '../../apps/flow/search-index.ts';

type Hit = { id: number; title: string; highlights: Record<string, string> } & Record<string, unknown>;

describe('search: GET /api/search and /search on flow and links, indexed by the worker', () => {
  let server: TestServer;
  let editor: { user: User; client: HostClient };
  let viewer: { user: User; client: HostClient };
  let linksViewer: { user: User; client: HostClient };
  let nobody: { user: User; client: HostClient };

  async function signedIn(roles: RoleRef[]): Promise<{ user: User; client: HostClient }> {
    const user = await server.createUser({ roles });
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    return { user, client };
  }

  async function search(client: HostClient, app: string, query: string): Promise<{ data: Hit[]; next: string | null }> {
    const response = await client.get(app, `/api/search?${query}`);
    assert.equal(response.status, 200, response.text);
    return response.json();
  }

  const titles = async (client: HostClient, app: string, query: string) => (await search(client, app, query)).data.map((t) => t.title);

  before(async () => {
    server = await startTestServer({ METRICS_PORT: '0' }, { worker: true });
    editor = await signedIn([{ app: 'flow', role: 'editor' }, { app: 'links', role: 'editor' }]);
    viewer = await signedIn([{ app: 'flow', role: 'viewer' }]);
    linksViewer = await signedIn([{ app: 'links', role: 'viewer' }]);
    nobody = await signedIn([]);
  });
  after(() => server.close());

  it('finds a task the worker indexed, its change and its deletion, each within a bounded time', async () => {
    const created = await editor.client.post('flow', '/api/tasks', { json: { title: 'Renew the parking permit', description: 'Before the deadline' } });
    assert.equal(created.status, 201);
    const id = created.json().id as number;
    await until(async () => (await titles(viewer.client, 'flow', 'q=parking')).includes('Renew the parking permit'), 10_000);
    const patched = await editor.client.patch('flow', `/api/tasks/${id}`, { json: { title: 'Renew the garage permit' } });
    assert.equal(patched.status, 200);
    await until(async () => (await titles(viewer.client, 'flow', 'q=garage')).length === 1, 10_000);
    assert.deepEqual(await titles(viewer.client, 'flow', 'q=parking'), []);
    const [hit] = (await search(viewer.client, 'flow', 'q=garag')).data;
    assert.equal(hit?.id, id);
    assert.equal(hit.highlights.title, 'Renew the <mark>garage</mark> permit');
    assert.equal((await editor.client.delete('flow', `/api/tasks/${id}`)).status, 204);
    // Results are read back from the database, so the API drops it at once; the index follows through the worker.
    assert.deepEqual(await titles(viewer.client, 'flow', 'q=garage'), []);
    await until(async () => (await server.services.search.engine.search(TASKS_INDEX, { text: 'garage', limit: 5 })).hits.length === 0, 10_000);
  });

  it('filters by status, assignee and due dates, and pages with next', async () => {
    const make = async (title: string, extra: Record<string, unknown>) => {
      const response = await editor.client.post('flow', '/api/tasks', { json: { title, ...extra } });
      assert.equal(response.status, 201, response.text);
    };
    await make('Quokka alpha', { status: 'todo', dueDate: '2027-01-10', assigneeId: editor.user.id });
    await make('Quokka beta', { status: 'doing', dueDate: '2027-02-10' });
    await make('Quokka gamma', { status: 'done', dueDate: '2027-03-10', assigneeId: editor.user.id });
    await until(async () => (await titles(viewer.client, 'flow', 'q=quokka')).length === 3, 10_000);
    assert.deepEqual(await titles(viewer.client, 'flow', 'q=quokka&status=doing'), ['Quokka beta']);
    assert.deepEqual((await titles(editor.client, 'flow', 'q=quokka&assignee=me&sort=due')), ['Quokka alpha', 'Quokka gamma']);
    assert.deepEqual(await titles(viewer.client, 'flow', `q=quokka&assignee=${editor.user.id}&dueFrom=2027-02-01`), ['Quokka gamma']);
    assert.deepEqual(await titles(viewer.client, 'flow', 'q=quokka&dueTo=2027-02-28&sort=-due'), ['Quokka beta', 'Quokka alpha']);
    const first = await search(viewer.client, 'flow', 'q=quokka&limit=2&sort=due');
    assert.equal(first.data.length, 2);
    assert.ok(first.next);
    const second = await search(viewer.client, 'flow', `q=quokka&limit=2&sort=due&cursor=${first.next}`);
    assert.deepEqual(second.data.map((t) => t.title), ['Quokka gamma']);
    assert.equal(second.next, null);
  });

  it('finds links by slug, title and URL words', async () => {
    const created = await editor.client.post('links', '/api/links', { json: { url: 'https://docs.example.org/kangaroo-guide', slug: 'roo-docs', title: 'Marsupial handbook' } });
    assert.equal(created.status, 201, created.text);
    await until(async () => (await search(linksViewer.client, 'links', 'q=kangaroo')).data.length === 1, 10_000);
    for (const q of ['roo', 'marsupial', 'docs.example.org', '"example org"']) {
      const { data } = await search(linksViewer.client, 'links', `q=${encodeURIComponent(q)}`);
      assert.deepEqual(data.map((l) => l.slug), ['roo-docs'], q);
    }
    const [link] = (await search(linksViewer.client, 'links', 'q=handbook')).data;
    assert.equal(link?.highlights.title, 'Marsupial <mark>handbook</mark>');
    assert.equal(typeof link.shortUrl, 'string');
  });

  it('lets only users who may read the app search it (its read permission, as its lists)', async () => {
    const anonymous = server.client();
    assert.equal((await anonymous.get('flow', '/api/search?q=x')).status, 401);
    assert.equal((await nobody.client.get('flow', '/api/search?q=quokka')).status, 403);
    assert.equal((await nobody.client.get('links', '/api/search?q=roo')).status, 403);
    // A links viewer sees links but no task; a flow viewer no link.
    assert.equal((await linksViewer.client.get('flow', '/api/search?q=quokka')).status, 403);
    assert.equal((await viewer.client.get('links', '/api/search?q=roo')).status, 403);
    assert.equal((await linksViewer.client.get('links', '/api/search?q=roo')).status, 200);
    assert.equal((await nobody.client.get('flow', '/search?q=quokka', { headers: { accept: 'text/html' } })).status, 403);
  });

  it('answers bad queries with results or a clear 400, never a 5xx', async () => {
    const ok = ['quokka AND NOT alpha', '-quokka', 'quokka*', 'title:quokka', '"unbalanced', 'quokka"', '(((', '日本語 🚀 Ǆ', '', '   ', '%00', "'; DROP TABLE tasks; --", 'a'.repeat(1000)];
    for (const q of ok) {
      for (const app of ['flow', 'links']) {
        const response = await editor.client.get(app, `/api/search?q=${encodeURIComponent(q)}`);
        assert.equal(response.status, 200, `${app} ${JSON.stringify(q.slice(0, 30))}: ${response.text.slice(0, 200)}`);
        assert.ok(Array.isArray(response.json().data));
      }
    }
    assert.deepEqual(await titles(viewer.client, 'flow', `q=${encodeURIComponent('quokka AND')}`), [], 'AND is a word, not an operator');
    const bad = ['q=' + 'x'.repeat(10_240), 'q=x&cursor=garbage', 'q=x&status=lost', 'q=x&dueFrom=tomorrow', 'q=x&sort=title', 'q=x&limit=1000', 'q=x&assignee=someone'];
    for (const query of bad) {
      const response = await editor.client.get('flow', `/api/search?${query}`);
      assert.equal(response.status, 400, `${query.slice(0, 40)}: ${response.text.slice(0, 200)}`);
      assert.equal(typeof response.json().error.message, 'string');
    }
    const huge = await editor.client.get('links', `/api/search?q=${'y'.repeat(10_240)}`);
    assert.equal(huge.status, 400);
    assert.match(huge.json().error.message, /q/);
  });

  it('serves a search page with the matched words marked, and a search box on the board', async () => {
    const page = await viewer.client.get('flow', '/search?q=quok', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.text, /<mark>Quokka<\/mark> alpha/);
    const board = await viewer.client.get('flow', '/', { headers: { accept: 'text/html' } });
    assert.match(board.text, /<form method="get" action="\/search" role="search"/);
    const links = await linksViewer.client.get('links', '/search?q=%3Cscript%3E', { headers: { accept: 'text/html' } });
    assert.equal(links.status, 200);
    assert.doesNotMatch(links.text, /<script>/);
  });

  it('reports the search driver in the health details', async () => {
    const { body } = await healthDetails(server);
    assert.equal((body.drivers as Record<string, unknown>).search, server.config.search.driver);
    assert.equal(body.search, 'healthy');
  });

  it('exports the query latency and the index job lag as Prometheus metrics', async () => {
    const response = await fetch(`http://127.0.0.1:${server.web.metrics!.port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const count = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    assert.ok(count(/^marg_search_query_duration_seconds_count\{[^}]*index="flow_tasks"[^}]*\} (\d+)/m) > 0, 'query latency recorded');
    assert.ok(count(/^marg_search_index_lag_seconds_count\{[^}]*index="flow_tasks"[^}]*\} (\d+)/m) > 0, 'index job lag recorded');
  });
});
