import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HostClient, TestResponse } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

/** No answer to a bad input may be larger than this: an error names the problem, it does not echo the input. */
const MAX_ERROR_BYTES = 64 * 1024;

interface Route {
  readonly app: string;
  /** The path on the app's host, with `:params`. */
  readonly path: string;
  readonly methods: readonly string[];
}

/**
 * Every route of every app, read from Fastify's own route tree (printRoutes), so a route added
 * later is fuzzed without an edit here. Lines look like `│   ├── api/tasks (GET, HEAD, POST)`:
 * each level of indentation is four characters, and a route's path is its ancestors' segments joined.
 */
export function routesOf(tree: string): Route[] {
  const segments: string[] = [];
  const routes: Route[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)(?:├── |└── )(\S+) \(([^)]+)\)/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    segments.length = depth;
    segments.push(match[2]!);
    const full = segments.join('').replace(/\/{2,}/g, '/');
    const app = /^\/([a-z][a-z0-9-]*)(\/.*)?$/.exec(full);
    if (!app || app[1] === 'health' || app[1] === 'assets') continue;
    routes.push({ app: app[1]!, path: app[2] ?? '/', methods: match[3]!.split(', ').filter((m) => m !== 'HEAD') });
  }
  return routes;
}

const PARAMS = ['0', '-1', '99999999999999999999', '1e3', 'abc', '%00', '..%2F..%2Fetc', '%ZZ', 'x'.repeat(2_000), '%F0%9F%92%A9'];
const QUERIES = ['?limit=-1', '?limit=abc', '?limit=1e99', '?limit=1&limit=2', '?cursor=%%%', '?cursor=' + 'A'.repeat(3_000), '?next=javascript:alert(1)'];
const BODIES: readonly { readonly label: string; readonly body: string; readonly type: string }[] = [
  { label: 'malformed JSON', body: '{"title":', type: 'application/json' },
  { label: 'JSON null', body: 'null', type: 'application/json' },
  { label: 'JSON array', body: '[1,2,3]', type: 'application/json' },
  { label: 'wrong types', body: JSON.stringify({ title: 12, email: [], password: {}, status: true, url: 5, slug: null, assigneeId: 'x', dueDate: 7, roles: 'admin' }), type: 'application/json' },
  { label: 'deep nesting', body: '{"a":'.repeat(500) + '1' + '}'.repeat(500), type: 'application/json' },
  { label: 'many keys', body: JSON.stringify(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))), type: 'application/json' },
  { label: 'huge string', body: JSON.stringify({ title: 'x'.repeat(200_000), name: 'x'.repeat(200_000) }), type: 'application/json' },
  { label: 'text body', body: 'hello', type: 'text/plain' },
  { label: 'garbage form', body: '%%%&&&===', type: 'application/x-www-form-urlencoded' },
  { label: 'prototype keys', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}', type: 'application/json' },
];

function fill(path: string, value: string): string {
  return path.replace(/:[A-Za-z]+/g, value);
}

/** The promise every bad input must keep: no 5xx, a bounded answer, and the JSON error shape when it is JSON. */
function problemOf(response: TestResponse): string | undefined {
  if (response.status >= 500) return `${response.status} ${response.text.slice(0, 200)}`;
  if (response.status >= 400 && response.text.length > MAX_ERROR_BYTES) return `a ${response.status} of ${response.text.length} bytes`;
  const type = String(response.headers['content-type'] ?? '');
  if (response.status >= 400 && type.includes('application/json')) {
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = (response.json() as { error?: typeof error }).error;
    } catch {
      return `a ${response.status} whose JSON does not parse`;
    }
    if (typeof error?.code !== 'string' || typeof error.message !== 'string') return `a ${response.status} without {error:{code,message}}: ${response.text.slice(0, 200)}`;
  }
  return undefined;
}

describe('generated bad inputs against every route of every app', () => {
  let server: TestServer;
  let routes: Route[];
  let signedIn: HostClient;

  before(async () => {
    server = await startTestServer();
    routes = routesOf(server.web.server.printRoutes({ commonPrefix: false }));
    const admin = await server.createUser({ roles: ['accounts', 'flow', 'links'].map((app) => ({ app, role: 'admin' as const })) });
    signedIn = server.client();
    await signedIn.signIn('accounts', admin.email, TEST_PASSWORD);
  });
  after(() => server.close());

  it('finds the routes of all three apps', () => {
    for (const app of ['accounts', 'flow', 'links']) assert.ok(routes.some((r) => r.app === app && r.path.includes('/api/')), `${app}: ${JSON.stringify(routes)}`);
  });

  for (const who of ['signed in', 'signed out'] as const) {
    it(`answers each with a 4xx, bounded and well formed (${who})`, async () => {
      const client = who === 'signed in' ? signedIn : server.client();
      const problems: string[] = [];
      const check = (what: string, response: TestResponse | Error) => {
        const problem = response instanceof Error ? `no answer (${response.message})` : problemOf(response);
        if (problem) problems.push(`${what}: ${problem}`);
      };
      const send = (method: string, app: string, path: string, options: Parameters<HostClient['request']>[3] = {}) =>
        client.request(method, app, path, { ...options, allowServerError: true }).catch((error: Error) => error);
      let sent = 0;
      for (const route of routes) {
        const paths = route.path.includes(':') ? PARAMS.map((p) => fill(route.path, p)) : [route.path];
        for (const method of route.methods) {
          for (const path of paths) {
            check(`${who} ${method} ${route.app}${path}`, await send(method, route.app, path));
            sent += 1;
          }
          const base = fill(route.path, '1');
          if (method === 'GET') {
            for (const query of QUERIES) {
              check(`${who} GET ${route.app}${base}${query}`, await send('GET', route.app, base + query));
              sent += 1;
            }
          } else {
            for (const { label, body, type } of BODIES) {
              check(`${who} ${method} ${route.app}${base} (${label})`, await send(method, route.app, base, { body, headers: { 'content-type': type } }));
              sent += 1;
            }
          }
        }
      }
      assert.ok(sent >= 300, `only ${sent} requests were generated`);
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} of ${sent} bad inputs got a bad answer`);
    });
  }
});
