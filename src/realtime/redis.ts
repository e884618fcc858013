import type { Redis } from 'ioredis';
import type { BroadcastPort, ChannelEvent, ChannelOccupancy, EventListener, PresenceMember, Subscription } from './contract.ts';

// The scripts keep each change of a channel's subscriptions and members atomic across nodes
// (two nodes adding the same user must not both announce it). Written here: no library models presence.

/** KEYS: sockets, users, infos, occupied, node's channels. ARGV: field, member JSON or '', user id or '', channel. */
const JOIN = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('SADD', KEYS[5], ARGV[4])
if ARGV[3] == '' then return 0 end
if redis.call('HINCRBY', KEYS[2], ARGV[3], 1) == 1 then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[2])
  return 1
end
return 0`;

/** KEYS: sockets, users, infos, occupied. ARGV: field prefix, channel, exact (1: the field is ARGV[1]). Returns the members that left. */
const LEAVE = `
local fields
if ARGV[3] == '1' then fields = { ARGV[1] } else fields = redis.call('HKEYS', KEYS[1]) end
local removed = {}
for _, f in ipairs(fields) do
  if string.sub(f, 1, #ARGV[1]) == ARGV[1] then
    local m = redis.call('HGET', KEYS[1], f)
    if m then
      redis.call('HDEL', KEYS[1], f)
      if m ~= '' then
        local id = cjson.decode(m).userId
        if redis.call('HINCRBY', KEYS[2], id, -1) <= 0 then
          table.insert(removed, redis.call('HGET', KEYS[3], id) or m)
          redis.call('HDEL', KEYS[2], id)
          redis.call('HDEL', KEYS[3], id)
        end
      end
    end
  end
end
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
return removed`;

/** KEYS: nodes. ARGV: node id, timeout ms. Heartbeat on the server's clock; returns the nodes silent for longer. */
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))`;

export interface RedisBroadcastOptions {
  readonly client: Redis;
  /** A dedicated connection for SUBSCRIBE, opened on the first onEvent. */
  readonly subscriber: () => Redis;
  /** `<REDIS_PREFIX>realtime:<app id>:` */
  readonly prefix: string;
  readonly nodeId: string;
  /** A node silent this long is dead: its subscriptions go, its presence members leave. */
  readonly nodeTimeoutMs: number;
  readonly onError?: (error: Error) => void;
}

/**
 * The broadcast port across nodes: events through Redis pub/sub, subscriptions in hashes per
 * channel (field `<node> <socket>`), a heartbeat per node in a sorted set. Every node that
 * finds a dead one in its heartbeat claims it (ZREM: one wins), removes its subscriptions
 * and announces the members that left. Bound: a dead node's members leave within
 * nodeTimeout + nodeTimeout/3 (the next heartbeat of a live node).
 */
export class RedisBroadcast implements BroadcastPort {
  readonly driver = 'redis';
  readonly #o: RedisBroadcastOptions;
  readonly #listeners: EventListener[] = [];
  #subscriber: Redis | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;

  constructor(options: RedisBroadcastOptions) {
    this.#o = options;
  }

  get #events(): string {
    return `${this.#o.prefix}events`;
  }

  #keys(channel: string): [string, string, string, string] {
    const p = this.#o.prefix;
    return [`${p}sockets:${channel}`, `${p}users:${channel}`, `${p}infos:${channel}`, `${p}occupied`];
  }

  async publish(event: ChannelEvent): Promise<void> {
    await this.#o.client.publish(this.#events, JSON.stringify(event));
  }

  onEvent(listener: EventListener): void {
    this.#listeners.push(listener);
    if (this.#subscriber) return;
    const subscriber = (this.#subscriber = this.#o.subscriber());
    subscriber.on('message', (_channel: string, text: string) => {
      let event: ChannelEvent;
      try {
        event = JSON.parse(text) as ChannelEvent;
      } catch {
        return;
      }
      for (const l of this.#listeners) l(event);
    });
    subscriber.subscribe(this.#events).catch((error: Error) => this.#o.onError?.(error));
  }

  /** Resolves once this node listens (a test publishes only after). */
  async listening(): Promise<void> {
    if (this.#subscriber && this.#subscriber.status !== 'ready') await new Promise((resolve) => this.#subscriber!.once('ready', resolve));
    if (this.#subscriber) await this.#subscriber.subscribe(this.#events);
  }

  async join({ channel, socketId, member }: Subscription): Promise<{ memberAdded: boolean }> {
    this.#startHeartbeat();
    await this.#beating;
    const json = member ? JSON.stringify(member) : '';
    const added = await this.#o.client.eval(JOIN, 5, ...this.#keys(channel), `${this.#o.prefix}node:${this.#o.nodeId}`, `${this.#o.nodeId} ${socketId}`, json, member?.userId ?? '', channel);
    return { memberAdded: added === 1 };
  }

  async leave({ channel, socketId }: Subscription): Promise<{ memberRemoved: PresenceMember | undefined }> {
    const removed = await this.#leave(channel, `${this.#o.nodeId} ${socketId}`, true);
    return { memberRemoved: removed[0] };
  }

  async #leave(channel: string, field: string, exact: boolean): Promise<PresenceMember[]> {
    const removed = (await this.#o.client.eval(LEAVE, 4, ...this.#keys(channel), field, channel, exact ? '1' : '0')) as string[];
    return removed.map((m) => JSON.parse(m) as PresenceMember);
  }

  async channels(prefix = ''): Promise<ChannelOccupancy[]> {
    const names = (await this.#o.client.smembers(`${this.#o.prefix}occupied`)).filter((n) => n.startsWith(prefix));
    return Promise.all(names.map((n) => this.channel(n)));
  }

  async channel(name: string): Promise<ChannelOccupancy> {
    const [sockets, users] = this.#keys(name);
    const [subscriptionCount, userCount] = await Promise.all([this.#o.client.hlen(sockets), this.#o.client.hlen(users)]);
    return { channel: name, subscriptionCount, userCount };
  }

  async members(channel: string): Promise<PresenceMember[]> {
    const infos = await this.#o.client.hvals(this.#keys(channel)[2]);
    return infos.map((m) => JSON.parse(m) as PresenceMember);
  }

  async ping(): Promise<void> {
    await this.#o.client.ping();
  }

  /** Stops the heartbeat without leaving anything: what a killed process looks like to the others (tests). */
  stopHeartbeatForTest(): void {
    clearInterval(this.#heartbeat);
  }

  /** This node's heartbeat starts with its first subscription: a node that only publishes (web) is never counted. */
  #startHeartbeat(): void {
    if (this.#heartbeat) return;
    const beat = () => {
      this.#beating = this.#beat().catch((error: Error) => this.#o.onError?.(error));
    };
    this.#heartbeat = setInterval(beat, Math.max(50, Math.floor(this.#o.nodeTimeoutMs / 3)));
    this.#heartbeat.unref();
    beat();
  }

  async #beat(): Promise<void> {
    const { client, prefix, nodeId, nodeTimeoutMs } = this.#o;
    const dead = ((await client.eval(HEARTBEAT, 1, `${prefix}nodes`, nodeId, nodeTimeoutMs)) as string[]).filter((n) => n !== nodeId);
    for (const node of dead) {
      // One node wins the claim; the others leave it alone.
      if ((await client.zrem(`${prefix}nodes`, node)) !== 1) continue;
      await this.removeNode(node);
    }
  }

  /** Removes every subscription of `node` and announces its presence members that left (a dead node, or this one closing). */
  async removeNode(node: string): Promise<void> {
    const { client, prefix } = this.#o;
    const channels = await client.smembers(`${prefix}node:${node}`);
    for (const channel of channels) {
      const left = await this.#leave(channel, `${node} `, false);
      for (const member of left) {
        await this.publish({ channel, event: 'pusher_internal:member_removed', data: JSON.stringify({ user_id: member.userId }), sentAt: Date.now() });
      }
    }
    await client.del(`${prefix}node:${node}`);
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#beating;
    if (this.#heartbeat) {
      // Whatever the server did not leave one by one (it leaves every socket on a graceful stop) goes now.
      await this.removeNode(this.#o.nodeId).catch(() => {});
      await this.#o.client.zrem(`${this.#o.prefix}nodes`, this.#o.nodeId).catch(() => {});
    }
    this.#heartbeat = undefined;
    this.#listeners.length = 0;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }
}
