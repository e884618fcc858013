import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BroadcastPort, ChannelEvent } from '../../src/realtime/contract.ts';
import type { ContractOptions } from './fixture.ts';

/** Two nodes' ports on one shared store (memory: the same instance), and whatever closes them. */
export interface BroadcastPair {
  readonly first: BroadcastPort;
  readonly second: BroadcastPort;
  /** Resolves once both listen (Redis SUBSCRIBE is asynchronous). */
  listening(): Promise<void>;
  close(): Promise<void>;
}
export type BroadcastFactory = () => Promise<BroadcastPair>;

const waitFor = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

export function describeBroadcastContract(name: string, factory: BroadcastFactory, options: ContractOptions = {}): void {
  describe(`broadcast port contract: ${name}`, { skip: options.skip }, () => {
    const withPair = (fn: (pair: BroadcastPair) => Promise<void>) => async () => {
      const pair = await factory();
      try {
        await fn(pair);
      } finally {
        await pair.close();
      }
    };

    it('delivers a published event to every node, this one too', withPair(async (pair) => {
      const seen: [string, ChannelEvent][] = [];
      pair.first.onEvent((e) => seen.push(['first', e]));
      pair.second.onEvent((e) => seen.push(['second', e]));
      await pair.listening();
      await pair.first.publish({ channel: 'orders', event: 'created', data: '{"id":1}', exceptSocketId: '1.2' });
      await waitFor(() => seen.length === 2);
      assert.deepEqual(seen.map(([n]) => n).sort(), ['first', 'second']);
      for (const [, e] of seen) assert.deepEqual(e, { channel: 'orders', event: 'created', data: '{"id":1}', exceptSocketId: '1.2' });
    }));

    it('counts subscriptions across nodes and forgets empty channels', withPair(async ({ first, second }) => {
      await first.join({ channel: 'news', socketId: '1.1' });
      await second.join({ channel: 'news', socketId: '2.1' });
      await first.join({ channel: 'news', socketId: '1.1' }); // twice: still one
      await second.join({ channel: 'other', socketId: '2.1' });
      assert.deepEqual(await first.channel('news'), { channel: 'news', subscriptionCount: 2, userCount: 0 });
      assert.deepEqual((await second.channels()).map((c) => c.channel).sort(), ['news', 'other']);
      assert.deepEqual((await second.channels('ne')).map((c) => c.channel), ['news']);
      await first.leave({ channel: 'news', socketId: '1.1' });
      await second.leave({ channel: 'news', socketId: '2.1' });
      assert.deepEqual(await first.channel('news'), { channel: 'news', subscriptionCount: 0, userCount: 0 });
      assert.deepEqual((await first.channels()).map((c) => c.channel), ['other']);
    }));

    it('adds a presence member once and removes it with its last socket, on any node', withPair(async ({ first, second }) => {
      const ann = { userId: '7', userInfo: { name: 'Ann' } };
      assert.deepEqual(await first.join({ channel: 'presence-room', socketId: '1.1', member: ann }), { memberAdded: true });
      assert.deepEqual(await second.join({ channel: 'presence-room', socketId: '2.1', member: ann }), { memberAdded: false });
      assert.deepEqual(await second.join({ channel: 'presence-room', socketId: '2.2', member: { userId: '8', userInfo: null } }), { memberAdded: true });
      assert.deepEqual(await first.channel('presence-room'), { channel: 'presence-room', subscriptionCount: 3, userCount: 2 });
      assert.deepEqual((await second.members('presence-room')).sort((a, b) => a.userId.localeCompare(b.userId)), [ann, { userId: '8', userInfo: null }]);
      assert.deepEqual(await first.leave({ channel: 'presence-room', socketId: '1.1' }), { memberRemoved: undefined });
      assert.deepEqual(await second.leave({ channel: 'presence-room', socketId: '2.1' }), { memberRemoved: ann });
      assert.deepEqual(await second.leave({ channel: 'presence-room', socketId: '2.1' }), { memberRemoved: undefined });
      assert.deepEqual((await first.members('presence-room')).map((m) => m.userId), ['8']);
    }));
  });
}
