import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import PusherServer from 'pusher';
import WebSocket from 'ws';
import { APPS } from '../../apps/index.ts';
import type { RunningRole } from '../../src/platform/boot.ts';
import { embeddedRealtime } from '../../src/platform/realtime-role.ts';
import { startTestServer, type TestServer } from '../support/platform.ts';
import { APP, realtimeEnv } from './support.ts';

/** Every name resolves to loopback, so the clients send the real `ws.marg.localhost` Host header. */
const loopback: LookupFunction = (_host, options, callback) => {
  if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** `npm start`'s arrangement: the WebSocket and the Pusher HTTP API on the web port under ws.<MARG_DOMAIN>. */
describe('Pusher HTTP API on the web port (npm start)', () => {
  let server: TestServer;
  let realtime: RunningRole;
  const agent = new Agent({ lookup: loopback });
  const sdk = (host: string, secret = APP.secret) => new PusherServer({ appId: APP.id, key: APP.key, secret, host, port: String(server.port), useTLS: false, agent });

  before(async () => {
    server = await startTestServer(realtimeEnv({ BROADCAST_CONNECTION: 'memory' }));
    const embedded = embeddedRealtime();
    realtime = await embedded.role.start(server.services, APPS);
    embedded.attach(server.web.server.server);
  });
  after(async () => {
    agent.destroy();
    await realtime?.stop();
    await server?.close();
  });

  it('the official pusher SDK triggers an event that a socket on ws.marg.localhost receives, and reads the channel', async () => {
    const ws = new WebSocket(`ws://ws.marg.localhost:${server.port}/app/${APP.key}?protocol=7`, { lookup: loopback });
    const messages: { event: string; data?: unknown; channel?: string }[] = [];
    const arrived = (event: string) =>
      new Promise<{ event: string; data?: unknown; channel?: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event}`)), 5000);
        const check = () => {
          const found = messages.find((m) => m.event === event);
          if (found) (clearTimeout(timer), resolve(found));
          else setTimeout(check, 20);
        };
        check();
      });
    ws.on('message', (text) => messages.push(JSON.parse(String(text)) as { event: string }));
    try {
      await arrived('pusher:connection_established');
      ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'news' } }));
      await arrived('pusher_internal:subscription_succeeded');

      const channel = await sdk('ws.marg.localhost').get({ path: '/channels/news', params: { info: 'subscription_count' } });
      assert.equal(channel.status, 200);
      assert.deepEqual(await channel.json(), { occupied: true, subscription_count: 1 });

      const triggered = await sdk('ws.marg.localhost').trigger('news', 'story', { title: 'hello' });
      assert.equal(triggered.status, 200);
      const story = await arrived('story');
      assert.equal(story.channel, 'news');
      assert.deepEqual(JSON.parse(String(story.data)), { title: 'hello' });
    } finally {
      ws.close();
    }
  });

  it('refuses a request signed with another secret (401), and serves the API on the realtime host only', async () => {
    await assert.rejects(sdk('ws.marg.localhost', 'not-the-secret').trigger('news', 'story', {}), (error: { status?: number }) => error.status === 401);
    // On an app host, /apps/… is the web app's (no such route), never the API.
    await assert.rejects(sdk('flow.marg.localhost').get({ path: '/channels' }), (error: { status?: number }) => error.status === 404);
    const onWs = await sdk('ws.marg.localhost').get({ path: '/channels' });
    assert.equal(onWs.status, 200);
    assert.ok('channels' in ((await onWs.json()) as object));
  });
});
