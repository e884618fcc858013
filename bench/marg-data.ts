import { httpCall, postJson, type Reply } from './http-call.ts';
import { DOMAIN, EMAIL, PASSWORD } from './marg-fixture.ts';

/** What the load passes send: a signed-in cookie, a task to read, a link to follow. */
export interface MargTargets {
  readonly cookie: string;
  readonly taskId: number;
  readonly slug: string;
  readonly linkId: number;
}

export function host(app: string, port: number): string {
  return `${app}.${DOMAIN}:${port}`;
}

/** Signs in once through the real API, then creates one task and one short link over HTTP. */
export async function createTargets(port: number): Promise<MargTargets> {
  const signIn = await postJson<{ csrfToken: string }>(port, '/api/session', host('accounts', port), { email: EMAIL, password: PASSWORD }, {}, 200);
  const cookie = cookieHeader(signIn.reply);
  const headers = { cookie, 'x-csrf-token': signIn.body.csrfToken };
  const task = await postJson<{ id: number }>(port, '/api/tasks', host('flow', port), { title: 'Benchmark task', description: 'read by GET /api/tasks/:id' }, headers, 201);
  const slug = `bench${Date.now().toString(36)}`;
  const link = await postJson<{ id: number }>(port, '/api/links', host('links', port), { url: 'https://example.com/target', slug }, headers, 201);
  return { cookie, taskId: task.body.id, slug, linkId: link.body.id };
}

/** The clicks the server has counted for the link (to check that every redirect wrote one). */
export async function clickCount(port: number, targets: MargTargets): Promise<number> {
  const reply = await httpCall(port, 'GET', `/api/links/${targets.linkId}`, host('links', port), { cookie: targets.cookie });
  if (reply.status !== 200) throw new Error(`GET /api/links/${targets.linkId} answered ${reply.status}`);
  return (JSON.parse(reply.body) as { clicks: number }).clicks;
}

function cookieHeader(reply: Reply): string {
  const lines = reply.headers['set-cookie'];
  const list = Array.isArray(lines) ? lines : lines ? [lines] : [];
  const pairs = list.map((line) => line.split(';')[0]!).filter((pair) => !pair.endsWith('='));
  if (!pairs.some((p) => p.startsWith('marg_session='))) throw new Error(`sign-in set no session cookie: ${list.join(' | ')}`);
  return pairs.join('; ');
}
