import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../observability/logger.ts';
import { addRealtimeSource, realtimeDeliveryLatency } from '../observability/metrics.ts';
import { channelKind, isChannelName, originAllowed } from './channels.ts';
import type { BroadcastPort, ChannelEvent, PresenceMember, Subscription } from './contract.ts';
import { CLOSE, ERROR } from './protocol.ts';
import type { RealtimeApp, RealtimeSettings } from './settings.ts';
import { channelAuth, sameText } from './signature.ts';

/** A client that sends this many bad messages is closed (4300): a fuzzer or a broken client, not a user. */
const MAX_BAD_MESSAGES = 50;
/** A socket that does not read is closed (4100) rather than buffering without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const PROTOCOLS = new Set([5, 6, 7]);

interface Connection {
  readonly socketId: string;
  readonly ws: WebSocket;
  readonly subscriptions: Map<string, Subscription>;
  readonly pending: Set<string>;
  lastSeen: number;
  pingSentAt: number | undefined;
  tokens: number;
  tokensAt: number;
  bad: number;
  closed: boolean;
}

interface Frame {
  readonly event?: unknown;
  readonly channel?: unknown;
  readonly data?: unknown;
}

export interface HubOptions {
  readonly settings: RealtimeSettings;
  readonly app: RealtimeApp;
  readonly broadcast: BroadcastPort;
  readonly logger: Logger;
}

/**
 * The Pusher Channels protocol 7 server (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/)
 * on `ws`: one socket per client at /app/{key}. Written here because no maintained Node library
 * serves the protocol (soketi and Reverb are whole servers); `ws` does the WebSocket framing.
 * Events reach sockets through the broadcast port, so a publish on any node reaches every node.
 */
export class RealtimeHub {
  readonly #o: HubOptions;
  readonly #wss: WebSocketServer;
  readonly #connections = new Map<string, Connection>();
  readonly #channels = new Map<string, Set<Connection>>();
  readonly #timer: NodeJS.Timeout;
  readonly #removeSource: () => void;
  #subscriptions = 0;
  #messagesIn = 0;
  #messagesOut = 0;
  #closing = false;

  constructor(options: HubOptions) {
    this.#o = options;
    // Client frames above the limit close the socket with 1009 (ws); no compression: fan-out sends one frame to thousands.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.settings.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
    options.broadcast.onEvent((event) => this.#deliver(event));
    const tick = Math.min(options.settings.activityTimeoutSeconds * 1000, 5_000) / 2;
    this.#timer = setInterval(() => this.#checkActivity(), Math.max(100, tick));
    this.#timer.unref();
    this.#removeSource = addRealtimeSource(() => this.counts());
  }

  counts(): { connections: number; subscriptions: number; messagesIn: number; messagesOut: number } {
    return { connections: this.#connections.size, subscriptions: this.#subscriptions, messagesIn: this.#messagesIn, messagesOut: this.#messagesOut };
  }

  /** Takes an HTTP upgrade (from `marg realtime`'s server or `npm start`'s web server). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#open(ws, request));
  }

  #open(ws: WebSocket, request: IncomingMessage): void {
    const { settings, app } = this.#o;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const key = /^\/app\/([^/]+)$/.exec(url.pathname)?.[1];
    const protocol = url.searchParams.get('protocol');
    const refusal =
      this.#closing ? CLOSE.shuttingDown
      : key === undefined ? CLOSE.pathNotFound
      : key !== app.key ? CLOSE.unknownApp
      : !originAllowed(request.headers.origin, settings.allowedOrigins) ? CLOSE.origin
      : protocol === null ? CLOSE.noProtocol
      : !/^\d{1,3}$/.test(protocol) ? CLOSE.badProtocol
      : !PROTOCOLS.has(Number(protocol)) ? CLOSE.unsupportedProtocol
      : this.#connections.size >= settings.maxConnections ? CLOSE.overQuota
      : undefined;
    ws.on('error', () => {});
    if (refusal) {
      send(ws, { event: 'pusher:error', data: { code: refusal.code, message: refusal.message } });
      ws.close(refusal.code, refusal.message);
      return;
    }
    const now = Date.now();
    const conn: Connection = {
      socketId: `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`,
      ws,
      subscriptions: new Map(),
      pending: new Set(),
      lastSeen: now,
      pingSentAt: undefined,
      tokens: settings.clientEventsPerSecond,
      tokensAt: now,
      bad: 0,
      closed: false,
    };
    this.#connections.set(conn.socketId, conn);
    ws.on('message', (data, isBinary) => this.#receive(conn, data, isBinary));
    ws.on('close', () => void this.#closed(conn));
    this.#send(conn, { event: 'pusher:connection_established', data: JSON.stringify({ socket_id: conn.socketId, activity_timeout: settings.activityTimeoutSeconds }) });
  }

  #receive(conn: Connection, raw: RawData, isBinary: boolean): void {
    this.#messagesIn += 1;
    conn.lastSeen = Date.now();
    conn.pingSentAt = undefined;
    if (isBinary) return this.#bad(conn, 'Binary messages are not part of the protocol');
    let frame: Frame;
    try {
      frame = JSON.parse(raw.toString()) as Frame;
    } catch {
      return this.#bad(conn, 'Invalid JSON');
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.event !== 'string') return this.#bad(conn, 'A message is an object with a string "event"');
    const data = typeof frame.data === 'string' && frame.event.startsWith('pusher:') ? parseObject(frame.data) : frame.data;
    switch (frame.event) {
      case 'pusher:ping':
        return this.#send(conn, { event: 'pusher:pong', data: '{}' });
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return void this.#subscribe(conn, data).catch((error: Error) => this.#failed(conn, error));
      case 'pusher:unsubscribe': {
        const channel = (data as { channel?: unknown } | undefined)?.channel;
        if (!isChannelName(channel)) return this.#bad(conn, 'pusher:unsubscribe needs a valid channel');
        return void this.#unsubscribe(conn, channel).catch((error: Error) => this.#failed(conn, error));
      }
    }
    if (frame.event.startsWith('client-')) return this.#clientEvent(conn, frame.event, frame.channel, frame.data);
    return this.#bad(conn, `Unknown event ${JSON.stringify(frame.event.slice(0, 64))}`);
  }

  async #subscribe(conn: Connection, data: unknown): Promise<void> {
    const { settings, app } = this.#o;
    const request = (typeof data === 'object' && data !== null ? data : {}) as { channel?: unknown; auth?: unknown; channel_data?: unknown };
    const channel = request.channel;
    if (!isChannelName(channel)) return this.#bad(conn, 'pusher:subscribe needs a valid channel (A-Z a-z 0-9 _-=@,.; at most 164)');
    if (conn.subscriptions.has(channel) || conn.pending.has(channel)) return;
    if (conn.subscriptions.size + conn.pending.size >= settings.maxSubscriptions) {
      return this.#error(conn, ERROR.tooManySubscriptions.code, `${ERROR.tooManySubscriptions.message} (${settings.maxSubscriptions})`, channel);
    }
    const kind = channelKind(channel);
    let member: PresenceMember | undefined;
    if (kind !== 'public') {
      const channelData = kind === 'presence' ? request.channel_data : undefined;
      const expected = channelAuth(app.key, app.secret, conn.socketId, channel, typeof channelData === 'string' ? channelData : undefined);
      if (typeof request.auth !== 'string' || !sameText(request.auth, expected) || (kind === 'presence' && typeof channelData !== 'string')) {
        return this.#unauthorized(conn, channel);
      }
      if (kind === 'presence') {
        member = presenceMember(channelData as string);
        if (!member) return this.#bad(conn, 'channel_data must be JSON with a user_id', channel);
      }
    }
    const subscription: Subscription = member ? { channel, socketId: conn.socketId, member } : { channel, socketId: conn.socketId };
    conn.pending.add(channel);
    let memberAdded: boolean;
    try {
      ({ memberAdded } = await this.#o.broadcast.join(subscription));
    } finally {
      conn.pending.delete(channel);
    }
    if (conn.closed) {
      await this.#leave(subscription);
      return;
    }
    conn.subscriptions.set(channel, subscription);
    this.#subscriptions += 1;
    let local = this.#channels.get(channel);
    if (!local) this.#channels.set(channel, (local = new Set()));
    local.add(conn);
    let succeeded = '{}';
    if (member) {
      const members = await this.#o.broadcast.members(channel);
      const hash = Object.fromEntries(members.map((m) => [m.userId, m.userInfo ?? null]));
      if (!(member.userId in hash)) hash[member.userId] = member.userInfo ?? null;
      const ids = Object.keys(hash);
      succeeded = JSON.stringify({ presence: { ids, hash, count: ids.length } });
    }
    this.#send(conn, { event: 'pusher_internal:subscription_succeeded', channel, data: succeeded });
    if (member && memberAdded) {
      await this.#o.broadcast.publish({ channel, event: 'pusher_internal:member_added', data: JSON.stringify({ user_id: member.userId, user_info: member.userInfo }), exceptSocketId: conn.socketId, sentAt: Date.now() });
    }
  }

  async #unsubscribe(conn: Connection, channel: string): Promise<void> {
    const subscription = conn.subscriptions.get(channel);
    if (!subscription) return;
    this.#forgetLocal(conn, channel);
    await this.#leave(subscription);
  }

  #forgetLocal(conn: Connection, channel: string): void {
    conn.subscriptions.delete(channel);
    this.#subscriptions -= 1;
    const local = this.#channels.get(channel);
    local?.delete(conn);
    if (local?.size === 0) this.#channels.delete(channel);
  }

  async #leave(subscription: Subscription): Promise<void> {
    const { memberRemoved } = await this.#o.broadcast.leave(subscription);
    if (memberRemoved) {
      await this.#o.broadcast.publish({ channel: subscription.channel, event: 'pusher_internal:member_removed', data: JSON.stringify({ user_id: memberRemoved.userId }), sentAt: Date.now() });
    }
  }

  #clientEvent(conn: Connection, event: string, channel: unknown, data: unknown): void {
    const { settings } = this.#o;
    if (!isChannelName(channel) || !conn.subscriptions.has(channel)) return this.#bad(conn, 'Client events need a channel this socket is subscribed to');
    if (channelKind(channel) === 'public' || !settings.clientEvents) {
      return this.#error(conn, ERROR.clientEventRefused.code, ERROR.clientEventRefused.message, channel);
    }
    const now = Date.now();
    const rate = settings.clientEventsPerSecond;
    conn.tokens = Math.min(rate, conn.tokens + ((now - conn.tokensAt) / 1000) * rate);
    conn.tokensAt = now;
    if (conn.tokens < 1) return this.#error(conn, ERROR.clientEventRate.code, ERROR.clientEventRate.message, channel);
    conn.tokens -= 1;
    const member = conn.subscriptions.get(channel)?.member;
    const text = typeof data === 'string' ? data : JSON.stringify(data ?? null);
    const published: ChannelEvent = { channel, event, data: text, exceptSocketId: conn.socketId, sentAt: now, ...(member ? { userId: member.userId } : {}) };
    this.#o.broadcast.publish(published).catch((error: Error) => this.#failed(conn, error));
  }

  #deliver(event: ChannelEvent): void {
    const local = this.#channels.get(event.channel);
    if (!local) return;
    if (event.sentAt !== undefined) realtimeDeliveryLatency.observe(Math.max(0, Date.now() - event.sentAt) / 1000);
    // One serialisation per event, not per socket.
    const frame = JSON.stringify(event.userId === undefined ? { event: event.event, channel: event.channel, data: event.data } : { event: event.event, channel: event.channel, data: event.data, user_id: event.userId });
    for (const conn of local) {
      if (conn.socketId === event.exceptSocketId) continue;
      if (conn.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.#close(conn, CLOSE.overCapacity);
        continue;
      }
      conn.ws.send(frame);
      this.#messagesOut += 1;
    }
  }

  #checkActivity(): void {
    const now = Date.now();
    const timeout = this.#o.settings.activityTimeoutSeconds * 1000;
    const pongWait = Math.min(timeout, 30_000);
    for (const conn of this.#connections.values()) {
      if (conn.pingSentAt !== undefined) {
        if (now - conn.pingSentAt > pongWait) this.#close(conn, CLOSE.pongNotReceived);
      } else if (now - conn.lastSeen > timeout) {
        conn.pingSentAt = now;
        this.#send(conn, { event: 'pusher:ping', data: '{}' });
      }
    }
  }

  #send(conn: Connection, message: object): void {
    if (conn.closed) return;
    send(conn.ws, message);
    this.#messagesOut += 1;
  }

  #error(conn: Connection, code: number, message: string, channel?: string): void {
    this.#send(conn, channel === undefined ? { event: 'pusher:error', data: { code, message } } : { event: 'pusher:error', channel, data: { code, message } });
  }

  #unauthorized(conn: Connection, channel: string): void {
    const { code, message } = ERROR.unauthorized;
    // Forged or stale auth strings count as bad messages: guessing is cut off with the rest.
    conn.bad += 1;
    if (conn.bad > MAX_BAD_MESSAGES) return this.#close(conn, CLOSE.tooManyErrors);
    this.#error(conn, code, message, channel);
    // What pusher-js and Echo show on the channel (`.error()` callbacks).
    this.#send(conn, { event: 'pusher:subscription_error', channel, data: { type: 'AuthError', error: message, status: 401 } });
  }

  #bad(conn: Connection, message: string, channel?: string): void {
    conn.bad += 1;
    if (conn.bad > MAX_BAD_MESSAGES) return this.#close(conn, CLOSE.tooManyErrors);
    this.#error(conn, ERROR.badMessage.code, message, channel);
  }

  #failed(conn: Connection, error: Error): void {
    this.#o.logger.warn({ err: error, socketId: conn.socketId }, 'realtime: broadcast store failed');
    this.#error(conn, ERROR.unavailable.code, ERROR.unavailable.message);
  }

  #close(conn: Connection, reason: { code: number; message: string }): void {
    if (conn.closed) return;
    this.#send(conn, { event: 'pusher:error', data: reason });
    conn.ws.close(reason.code, reason.message);
    // A peer that never answers the close handshake is cut after a while.
    setTimeout(() => conn.ws.terminate(), 2_000).unref();
  }

  async #closed(conn: Connection): Promise<void> {
    if (conn.closed) return;
    conn.closed = true;
    this.#connections.delete(conn.socketId);
    const subscriptions = [...conn.subscriptions.values()];
    for (const s of subscriptions) this.#forgetLocal(conn, s.channel);
    for (const s of subscriptions) await this.#leave(s).catch((error: Error) => this.#o.logger.warn({ err: error }, 'realtime: leaving a channel failed'));
  }

  /** Closes every socket with 4200 (reconnect: the balancer sends it to another node) and leaves their channels. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    const all = [...this.#connections.values()];
    for (const conn of all) this.#close(conn, CLOSE.shuttingDown);
    await Promise.all(all.map((conn) => this.#closed(conn)));
    this.#removeSource();
  }
}

function send(ws: WebSocket, message: object): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

function parseObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `channel_data` of a presence subscription: `{"user_id": string|number, "user_info"?: any}`. */
function presenceMember(channelData: string): PresenceMember | undefined {
  const parsed = parseObject(channelData) as { user_id?: unknown; user_info?: unknown } | undefined;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const id = parsed.user_id;
  if ((typeof id !== 'string' || id === '' || id.length > 128) && (typeof id !== 'number' || !Number.isFinite(id))) return undefined;
  return { userId: String(id), userInfo: parsed.user_info ?? null };
}
