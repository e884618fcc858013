import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Echo from 'laravel-echo';
import PusherServer from 'pusher';
import { redisService } from '../contract/redis-fixture.ts';
import { TEST_PASSWORD } from '../support/platform.ts';
import { APP, Pusher, authorizeThrough, next, pusherClient, rawSocket, startRealtimeCluster } from './support.ts';

const redis = await redisService();

describe('realtime: real clients on two nodes through Redis', { skip: redis.skipReason }, () => {
  let cluster: Awaited<ReturnType<typeof startRealtimeCluster>>;
  const clients: Pusher[] = [];
  const track = (p: Pusher) => (clients.push(p), p);

  before(async () => {
    cluster = await startRealtimeCluster(2);
  });
  after(async () => {
    for (const p of clients) p.disconnect();
    await cluster?.close();
  });

  const server = (node: number) => new PusherServer({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(cluster.nodes[node]!.port), useTLS: false });

  it('pusher-js: a public subscription on node 1 gets an event triggered through node 2 by the official server SDK', async () => {
    const pusher = track(pusherClient(cluster.nodes[0]!.port));
    const channel = pusher.subscribe('news');
    await next((r) => channel.bind('pusher:subscription_succeeded', r), 5000, 'subscription');
    const got = next<unknown>((r) => channel.bind('story', r), 5000, 'story');
    await server(1).trigger('news', 'story', { title: 'hello' });
    assert.deepEqual(await got, { title: 'hello' });
    const info = await (await server(1).get({ path: '/channels/news', params: { info: 'subscription_count' } })).json();
    assert.deepEqual(info, { occupied: true, subscription_count: 1 });
    const list = await (await server(0).get({ path: '/channels' })).json();
    assert.ok('news' in list.channels);
  });

  it('pusher-js: a private channel authorized by the web server gets what a Marg app publishes; without the permission it is refused (4009)', async () => {
    const viewer = await cluster.web.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const stranger = await cluster.web.createUser();
    const browser = cluster.web.client();
    await browser.signIn('flow', viewer.email, TEST_PASSWORD);
    const pusher = track(pusherClient(cluster.nodes[1]!.port, browser));
    const channel = pusher.subscribe('private-flow.tasks');
    await next((r) => channel.bind('pusher:subscription_succeeded', r), 5000, 'private subscription');
    const got = next<unknown>((r) => channel.bind('task.created', r), 5000, 'task.created');
    // What an app does: the broadcast port, no HTTP hop.
    await cluster.web.services.broadcast.publish({ channel: 'private-flow.tasks', event: 'task.created', data: JSON.stringify({ id: 1 }) });
    assert.deepEqual(await got, { id: 1 });

    const strangerBrowser = cluster.web.client();
    await strangerBrowser.signIn('flow', stranger.email, TEST_PASSWORD);
    const auth = await strangerBrowser.post('flow', '/broadcasting/auth', { form: { socket_id: '1.2', channel_name: 'private-flow.tasks' } });
    assert.equal(auth.status, 403);
    // A forged auth string on the socket: the protocol's 4009.
    const raw = await rawSocket(cluster.nodes[0]!.port);
    raw.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'private-flow.tasks', auth: `${APP.key}:${'0'.repeat(64)}` } }));
    const error = await raw.nextEvent('pusher:error');
    assert.equal((error.data as { code: number }).code, 4009);
    raw.close();
  });

  it('laravel-echo: presence on both nodes sees members join and leave, and events from the other node', async () => {
    const [ann, bob] = [await cluster.web.createUser({ name: 'Ann', roles: [{ app: 'flow', role: 'viewer' }] }), await cluster.web.createUser({ name: 'Bob', roles: [{ app: 'flow', role: 'viewer' }] })];
    const echoFor = async (node: number, user: { email: string }) => {
      const browser = cluster.web.client();
      await browser.signIn('flow', user.email, TEST_PASSWORD);
      const echo = new Echo({
        broadcaster: 'reverb',
        key: APP.key,
        wsHost: '127.0.0.1',
        wsPort: cluster.nodes[node]!.port,
        forceTLS: false,
        enabledTransports: ['ws'],
        Pusher,
        channelAuthorization: authorizeThrough(browser),
      } as never);
      track((echo.connector as unknown as { pusher: Pusher }).pusher);
      return echo;
    };
    const echoAnn = await echoFor(0, ann);
    const hereAnn = await next<{ name: string }[]>((r) => echoAnn.join('flow.board').here(r), 5000, 'here (Ann)');
    assert.deepEqual(hereAnn.map((m) => m.name), ['Ann']);
    const joining = next<{ name: string }>((r) => echoAnn.join('flow.board').joining(r), 5000, 'joining');
    const echoBob = await echoFor(1, bob);
    const hereBob = await next<{ name: string }[]>((r) => echoBob.join('flow.board').here(r), 5000, 'here (Bob)');
    assert.deepEqual(hereBob.map((m) => m.name).sort(), ['Ann', 'Bob']);
    assert.equal((await joining).name, 'Bob');
    const users = await (await server(0).get({ path: '/channels/presence-flow.board/users' })).json();
    assert.equal(users.users.length, 2);

    const moved = next<unknown>((r) => echoBob.join('flow.board').listen('.task.moved', r), 5000, 'task.moved');
    await server(0).trigger('presence-flow.board', 'task.moved', { id: 9 });
    assert.deepEqual(await moved, { id: 9 });

    const leaving = next<{ name: string }>((r) => echoAnn.join('flow.board').leaving(r), 5000, 'leaving');
    echoBob.disconnect();
    assert.equal((await leaving).name, 'Bob');
  });

  it('refuses a bad HTTP API signature, a stale timestamp, a foreign origin and an unknown app key', async () => {
    const wrong = new PusherServer({ appId: APP.id, key: APP.key, secret: 'not-the-secret-at-all', host: '127.0.0.1', port: String(cluster.nodes[0]!.port), useTLS: false });
    await assert.rejects(wrong.trigger('news', 'x', {}), (error: { status?: number }) => error.status === 401);
    const stale = await fetch(`http://127.0.0.1:${cluster.nodes[0]!.port}/apps/${APP.id}/channels?auth_key=${APP.key}&auth_timestamp=1000&auth_version=1.0&auth_signature=x`);
    assert.equal(stale.status, 401);
    assert.equal(((await stale.json()) as { error: { code: string } }).error.code, 'stale_timestamp');

    const foreign = await rawSocket(cluster.nodes[0]!.port, { origin: 'http://evil.example' });
    assert.equal((await foreign.closed).code, 4009);
    const unknown = await rawSocket(cluster.nodes[0]!.port, { key: 'nope' });
    assert.equal((await unknown.closed).code, 4001);
    const allowed = await rawSocket(cluster.nodes[0]!.port, { origin: 'http://flow.marg.localhost:8080' });
    assert.equal(allowed.established, true);
    allowed.close();
  });
});
