import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { channelAuth } from '../../src/realtime/signature.ts';
import { privateRedisAvailable } from '../support/redis-server.ts';
import { recordSecret } from '../support/log-capture.ts';
import { APP, Pusher, next, rawSocket } from '../realtime/support.ts';
import { balancerInstalled, ClusterFixture } from './fixture.ts';

const redisServer = await privateRedisAvailable();
recordSecret(APP.secret);
/** A dead node's presence members leave within NODE_TIMEOUT + NODE_TIMEOUT/3 (src/realtime/redis.ts). */
const NODE_TIMEOUT_S = 1.5;
const BOUND_MS = NODE_TIMEOUT_S * 1000 * (4 / 3);

/** One balancer per test file (realtime-haproxy.test.ts, realtime-nginx.test.ts): a cluster start takes a while on a loaded machine. */
export async function describeRealtimeCluster(lb: 'haproxy' | 'nginx'): Promise<void> {
  const installed = await balancerInstalled(lb);
  describe(`marg cluster up --realtime 2 behind ${lb}`, { skip: installed.skipReason ?? redisServer.skipReason }, () => {
    const cluster = new ClusterFixture(false, {
      REVERB_APP_ID: APP.id,
      REVERB_APP_KEY: APP.key,
      REVERB_APP_SECRET: APP.secret,
      REVERB_NODE_TIMEOUT: String(NODE_TIMEOUT_S),
    });
    const clients: Pusher[] = [];
    after(async () => {
      for (const c of clients) c.disconnect();
      await cluster.cleanup();
    });

    it('passes WebSockets to the realtime nodes; after a SIGKILL clients reconnect to the other node, resubscribe, and presence drops the dead node\'s members in time', { timeout: 110_000 }, async () => {
      const stdout = await cluster.up(['--lb', lb, '--own-redis', '--web', '1', '--workers', '0', '--schedulers', '0', '--realtime', '2']);
      assert.match(stdout, /2 realtime nodes/);
      const status = await cluster.status();
      assert.equal(status.ok, true, JSON.stringify(status, null, 2));
      const nodes = cluster.state().members.filter((m) => m.role === 'realtime');
      assert.deepEqual(nodes.map((n) => n.name), ['realtime-1', 'realtime-2']);

      // pusher-js through the balancer, several clients so that both nodes hold some.
      const states: string[][] = [];
      for (let i = 0; i < 4; i += 1) {
        const pusher = new Pusher(APP.key, { cluster: '', wsHost: '127.0.0.1', wsPort: cluster.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true });
        clients.push(pusher);
        const seen: string[] = [];
        states.push(seen);
        pusher.connection.bind('state_change', (s: { current: string }) => seen.push(s.current));
        const channel = pusher.subscribe('board');
        await next((r) => channel.bind('pusher:subscription_succeeded', r), 10_000, `client ${i} subscribed`);
      }

      // A presence member held straight on realtime-1 (a raw socket that will not reconnect), watched from realtime-2.
      const [doomed, survivor] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      const ghost = await rawSocket(doomed.port!);
      const ghostData = JSON.stringify({ user_id: 'ghost', user_info: { name: 'Ghost' } });
      ghost.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-room', auth: channelAuth(APP.key, APP.secret, ghost.socketId, 'presence-room', ghostData), channel_data: ghostData } }));
      await ghost.nextEvent('pusher_internal:subscription_succeeded');
      const watcher = await rawSocket(survivor.port!);
      const watcherData = JSON.stringify({ user_id: 'watcher', user_info: null });
      watcher.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-room', auth: channelAuth(APP.key, APP.secret, watcher.socketId, 'presence-room', watcherData), channel_data: watcherData } }));
      const succeeded = await watcher.nextEvent('pusher_internal:subscription_succeeded');
      assert.deepEqual((JSON.parse(String(succeeded.data)) as { presence: { ids: string[] } }).presence.ids.sort(), ['ghost', 'watcher']);

      process.kill(doomed.process.pid, 'SIGKILL');
      const killedAt = Date.now();
      const removed = await watcher.nextEvent('pusher_internal:member_removed', BOUND_MS + 3_000);
      const took = Date.now() - killedAt;
      assert.deepEqual(JSON.parse(String(removed.data)), { user_id: 'ghost' });
      assert.ok(took <= BOUND_MS + 1_000, `member_removed after ${took} ms (bound ${BOUND_MS} ms)`);

      // Every pusher-js client is connected again (those on realtime-1 through the balancer to realtime-2) and resubscribed.
      const deadline = Date.now() + 20_000;
      while (clients.some((c) => c.connection.state !== 'connected') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(clients.every((c) => c.connection.state === 'connected'), JSON.stringify(states));
      assert.ok(states.some((s) => s.includes('connecting') || s.includes('unavailable')), `some client was on the killed node: ${JSON.stringify(states)}`);
      const got = clients.map((c) => next<unknown>((r) => c.channel('board')!.bind('after-kill', r), 10_000, 'after-kill'));
      // Published on the survivor; a resubscribed client hears it whichever node it is on now.
      const { default: PusherServer } = await import('pusher');
      await new PusherServer({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(survivor.port), useTLS: false }).trigger('board', 'after-kill', { ok: true });
      for (const result of await Promise.all(got)) assert.deepEqual(result, { ok: true });
      ghost.close();
      watcher.close();
    });
  });
}
