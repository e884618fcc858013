/**
 * The broadcast port (DESIGN §2, pub/sub): events published to channels reach every realtime
 * node, and every node sees the same channel occupancy and presence members. One driver keeps
 * it in this process (`memory`, `npm start`), the other shares it through Redis (`redis`,
 * several `marg realtime` nodes).
 */

/** An event on a channel as the Pusher protocol carries it; `data` is already a string. */
export interface ChannelEvent {
  readonly channel: string;
  readonly event: string;
  readonly data: string;
  /** The publisher's socket: it does not get its own event (client events, `socket_id` in the HTTP API). */
  readonly exceptSocketId?: string;
  /** Date.now() when published, for the delivery latency histogram. */
  readonly sentAt?: number;
  /** The sender of a client event on a presence channel (the protocol's `user_id`). */
  readonly userId?: string;
}

/** A member of a presence channel: the `channel_data` of the subscription that signed it in. */
export interface PresenceMember {
  readonly userId: string;
  readonly userInfo: unknown;
}

/** One subscription of one socket; `member` for presence channels. */
export interface Subscription {
  readonly channel: string;
  readonly socketId: string;
  readonly member?: PresenceMember;
}

export interface ChannelOccupancy {
  readonly channel: string;
  /** Sockets subscribed on every node. */
  readonly subscriptionCount: number;
  /** Distinct presence members (presence channels only, else 0). */
  readonly userCount: number;
}

export type EventListener = (event: ChannelEvent) => void;

export interface BroadcastPort {
  readonly driver: 'memory' | 'redis';
  /** Delivers to every node's listener (this one's too). Resolves once handed to the transport. */
  publish(event: ChannelEvent): Promise<void>;
  /** This node's listener: called once per published event. */
  onEvent(listener: EventListener): void;
  /** Records a subscription. `memberAdded` is true when its presence member had no other subscription on any node. */
  join(subscription: Subscription): Promise<{ readonly memberAdded: boolean }>;
  /** Forgets a subscription. `memberRemoved` is the presence member that thereby left the channel everywhere. */
  leave(subscription: Subscription): Promise<{ readonly memberRemoved: PresenceMember | undefined }>;
  /** Occupied channels (every node), optionally only those starting with `prefix`. */
  channels(prefix?: string): Promise<ChannelOccupancy[]>;
  channel(name: string): Promise<ChannelOccupancy>;
  /** Presence members of a channel, one per user (every node). */
  members(channel: string): Promise<PresenceMember[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
