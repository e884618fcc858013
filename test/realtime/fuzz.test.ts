import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pusherClient, rawSocket, startNode, realtimeEnv, next, type RealtimeNode } from './support.ts';

// The in-process driver: the socket handling is the same on every driver, and this suite needs no Redis.
describe('realtime: bad input on the socket gets a protocol error or a close code, never a crash', () => {
  let node: RealtimeNode;
  before(async () => {
    node = await startNode(realtimeEnv({ BROADCAST_CONNECTION: 'memory', REVERB_APP_MAX_MESSAGE_SIZE: '2048', REVERB_APP_MAX_SUBSCRIPTIONS: '20' }));
  });
  after(async () => node?.stop());

  const BAD: (string | Buffer)[] = [
    '', '{', 'null', '[]', '42', '"text"', '{}', '{"event":1}', '{"event":null}', '{"event":"pusher:subscribe"}',
    '{"event":"pusher:subscribe","data":"not json"}', '{"event":"pusher:subscribe","data":{"channel":""}}',
    '{"event":"pusher:subscribe","data":{"channel":"has space"}}', `{"event":"pusher:subscribe","data":{"channel":"${'x'.repeat(200)}"}}`,
    '{"event":"pusher:subscribe","data":{"channel":"private-a","auth":"key:bad"}}', '{"event":"pusher:subscribe","data":{"channel":"private-a","auth":42}}',
    '{"event":"pusher:subscribe","data":{"channel":"presence-a","auth":"x:y","channel_data":"{}"}}', '{"event":"pusher:subscribe","data":{"channel":"presence-a","auth":"x"}}',
    '{"event":"pusher:unsubscribe","data":{}}', '{"event":"client-x","channel":"nope","data":{}}', '{"event":"client-x","data":{}}',
    '{"event":"unknown:event"}', '{"event":"whatever","data":{"a":1}}', '{"__proto__":{"polluted":1},"event":"pusher:ping"}',
    Buffer.from([0, 1, 2, 3, 255]), '\u0000\u0001', '{"event":"pusher:subscribe","data":{"channel":"a","auth":{"$gt":""}}}',
  ];

  it('answers a few hundred malformed messages on several sockets, closes floods, refuses oversized frames, and still serves', async () => {
    let sent = 0;
    let errors = 0;
    for (let round = 0; round < 4; round += 1) {
      const socket = await rawSocket(node.port);
      for (let i = 0; i < 80; i += 1) {
        socket.send(BAD[(i + round * 7) % BAD.length]!);
        sent += 1;
      }
      // The socket answered each with pusher:error until the bad-message limit closed it with 4300.
      const { code } = await socket.closed;
      errors += socket.messages.filter((m) => m.event === 'pusher:error').length;
      assert.equal(code, 4300);
    }
    assert.ok(errors >= 4 * 40, `${errors} pusher:error answers`);

    // A subscribe flood: past REVERB_APP_MAX_SUBSCRIPTIONS each gets an error, the rest succeed.
    const flood = await rawSocket(node.port);
    for (let i = 0; i < 40; i += 1) flood.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `flood-${i}` } }));
    sent += 40;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(flood.messages.filter((m) => m.event === 'pusher_internal:subscription_succeeded').length, 20);
    assert.equal(flood.messages.filter((m) => m.event === 'pusher:error').length, 20);
    flood.close();

    // Oversized: the frame is refused with 1009 (message too big).
    const big = await rawSocket(node.port);
    big.send(JSON.stringify({ event: 'pusher:ping', data: 'x'.repeat(5000) }));
    sent += 1;
    assert.equal((await big.closed).code, 1009);

    assert.ok(sent >= 300, `sent ${sent}`);

    // The node still serves a fresh client.
    const pusher = pusherClient(node.port);
    const channel = pusher.subscribe('after-fuzz');
    await next((r) => channel.bind('pusher:subscription_succeeded', r), 5000, 'subscription after fuzz');
    const got = next<unknown>((r) => channel.bind('ok', r));
    await node.platform.services.broadcast.publish({ channel: 'after-fuzz', event: 'ok', data: '{"fine":true}' });
    assert.deepEqual(await got, { fine: true });
    pusher.disconnect();
  });

  it('closes an idle socket that ignores pings with 4201', async () => {
    const idle = await startNode(realtimeEnv({ BROADCAST_CONNECTION: 'memory', REVERB_APP_ACTIVITY_TIMEOUT: '1' }));
    try {
      const socket = await rawSocket(idle.port);
      await socket.nextEvent('pusher:ping', 4000);
      assert.equal((await socket.closed).code, 4201);
      const answering = await rawSocket(idle.port);
      answering.send('{"event":"pusher:ping","data":{}}');
      await answering.nextEvent('pusher:pong');
      answering.close();
    } finally {
      await idle.stop();
    }
  });
});
