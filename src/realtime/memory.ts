import type { BroadcastPort, ChannelEvent, ChannelOccupancy, EventListener, PresenceMember, Subscription } from './contract.ts';

interface ChannelState {
  readonly sockets: Map<string, PresenceMember | undefined>;
  /** Presence: userId → how many sockets hold it, and what the first one said of the user. */
  readonly users: Map<string, { count: number; member: PresenceMember }>;
}

/** The broadcast port inside one process (`npm start`, one realtime node): plain maps, no transport. */
export class MemoryBroadcast implements BroadcastPort {
  readonly driver = 'memory';
  readonly #channels = new Map<string, ChannelState>();
  readonly #listeners: EventListener[] = [];

  async publish(event: ChannelEvent): Promise<void> {
    for (const listener of this.#listeners) listener(event);
  }

  onEvent(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  async join({ channel, socketId, member }: Subscription): Promise<{ memberAdded: boolean }> {
    let state = this.#channels.get(channel);
    if (!state) this.#channels.set(channel, (state = { sockets: new Map(), users: new Map() }));
    if (state.sockets.has(socketId)) return { memberAdded: false };
    state.sockets.set(socketId, member);
    if (!member) return { memberAdded: false };
    const user = state.users.get(member.userId);
    if (user) {
      user.count += 1;
      return { memberAdded: false };
    }
    state.users.set(member.userId, { count: 1, member });
    return { memberAdded: true };
  }

  async leave({ channel, socketId }: Subscription): Promise<{ memberRemoved: PresenceMember | undefined }> {
    const state = this.#channels.get(channel);
    if (!state || !state.sockets.has(socketId)) return { memberRemoved: undefined };
    const member = state.sockets.get(socketId);
    state.sockets.delete(socketId);
    let memberRemoved: PresenceMember | undefined;
    if (member) {
      const user = state.users.get(member.userId);
      if (user && --user.count <= 0) {
        state.users.delete(member.userId);
        memberRemoved = user.member;
      }
    }
    if (state.sockets.size === 0) this.#channels.delete(channel);
    return { memberRemoved };
  }

  async channels(prefix = ''): Promise<ChannelOccupancy[]> {
    return [...this.#channels.keys()].filter((name) => name.startsWith(prefix)).map((name) => this.#occupancy(name));
  }

  async channel(name: string): Promise<ChannelOccupancy> {
    return this.#occupancy(name);
  }

  async members(channel: string): Promise<PresenceMember[]> {
    return [...(this.#channels.get(channel)?.users.values() ?? [])].map((u) => u.member);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#listeners.length = 0;
  }

  #occupancy(channel: string): ChannelOccupancy {
    const state = this.#channels.get(channel);
    return { channel, subscriptionCount: state?.sockets.size ?? 0, userCount: state?.users.size ?? 0 };
  }
}
