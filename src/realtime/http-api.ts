import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isChannelName } from './channels.ts';
import type { BroadcastPort, ChannelEvent } from './contract.ts';
import type { RealtimeApp } from './settings.ts';
import { apiSignature, md5Hex, sameText } from './signature.ts';

/** A request signed longer ago than this (either way) is refused: a captured URL cannot be replayed later. */
const MAX_CLOCK_SKEW_SECONDS = 600;
const MAX_CHANNELS_PER_EVENT = 100;
const MAX_BATCH = 100;

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface HttpApiOptions {
  readonly app: RealtimeApp;
  readonly broadcast: BroadcastPort;
  readonly maxEventBytes: number;
}

/**
 * The Pusher Channels HTTP API (https://pusher.com/docs/channels/library_auth_reference/rest-api/)
 * for backends and SDKs: trigger events, read channels and presence users. Every request is
 * signed with the app secret (auth_key, auth_timestamp, auth_version, body_md5, auth_signature).
 */
export async function pusherHttpApi(server: FastifyInstance, options: HttpApiOptions): Promise<void> {
  const { app, broadcast } = options;
  // The signature covers the body's MD5: keep the bytes as sent.
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  server.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
    const status = error.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ error: { code: 'bad_request', message: error.message } });
    request.log.error({ err: error }, 'realtime http api: unhandled error');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side. It has been logged.' } });
  });

  const signed = (request: FastifyRequest<{ Params: { appId: string } }>) => verify(request, app);

  server.post<{ Params: { appId: string } }>('/apps/:appId/events', async (request) => {
    const body = signed(request);
    const event = eventOf(body, options.maxEventBytes);
    const channels = Array.isArray((body as { channels?: unknown }).channels) ? ((body as { channels: unknown[] }).channels) : [(body as { channel?: unknown }).channel];
    if (channels.length === 0 || channels.length > MAX_CHANNELS_PER_EVENT || !channels.every(isChannelName)) {
      throw new ApiError(400, 'invalid_channels', `channels: 1 to ${MAX_CHANNELS_PER_EVENT} valid channel names`);
    }
    const sentAt = Date.now();
    await Promise.all(channels.map((channel) => broadcast.publish({ ...event, channel, sentAt })));
    return {};
  });

  server.post<{ Params: { appId: string } }>('/apps/:appId/batch_events', async (request) => {
    const body = signed(request) as { batch?: unknown };
    if (!Array.isArray(body.batch) || body.batch.length === 0 || body.batch.length > MAX_BATCH) throw new ApiError(400, 'invalid_batch', `batch: 1 to ${MAX_BATCH} events`);
    const events: ChannelEvent[] = body.batch.map((item: unknown) => {
      const channel = (item as { channel?: unknown } | null)?.channel;
      if (!isChannelName(channel)) throw new ApiError(400, 'invalid_channels', 'each batch event needs a valid channel');
      return { ...eventOf(item, options.maxEventBytes), channel };
    });
    const sentAt = Date.now();
    await Promise.all(events.map((e) => broadcast.publish({ ...e, sentAt })));
    return { batch: events.map(() => ({})) };
  });

  server.get<{ Params: { appId: string }; Querystring: Record<string, string> }>('/apps/:appId/channels', async (request) => {
    signed(request);
    const prefix = request.query.filter_by_prefix ?? '';
    const info = infoFields(request.query.info);
    if (info.has('user_count') && !prefix.startsWith('presence-')) throw new ApiError(400, 'invalid_info', 'info=user_count needs filter_by_prefix=presence-');
    const channels = await broadcast.channels(prefix);
    return { channels: Object.fromEntries(channels.map((c) => [c.channel, info.has('user_count') ? { user_count: c.userCount } : {}])) };
  });

  server.get<{ Params: { appId: string; name: string }; Querystring: Record<string, string> }>('/apps/:appId/channels/:name', async (request) => {
    signed(request);
    const name = channelParam(request.params.name);
    const info = infoFields(request.query.info);
    if (info.has('user_count') && !name.startsWith('presence-')) throw new ApiError(400, 'invalid_info', 'info=user_count is for presence channels');
    const c = await broadcast.channel(name);
    return {
      occupied: c.subscriptionCount > 0,
      ...(info.has('user_count') ? { user_count: c.userCount } : {}),
      ...(info.has('subscription_count') ? { subscription_count: c.subscriptionCount } : {}),
    };
  });

  server.get<{ Params: { appId: string; name: string } }>('/apps/:appId/channels/:name/users', async (request) => {
    signed(request);
    const name = channelParam(request.params.name);
    if (!name.startsWith('presence-')) throw new ApiError(400, 'not_presence', 'users are listed for presence channels only');
    const members = await broadcast.members(name);
    return { users: members.map((m) => ({ id: m.userId })) };
  });

  server.setNotFoundHandler(async (request, reply: FastifyReply) => reply.code(404).send({ error: { code: 'not_found', message: `Nothing at ${request.method} ${request.url.split('?')[0]}` } }));
}

function verify(request: FastifyRequest<{ Params: { appId: string } }>, app: RealtimeApp): unknown {
  if (request.params.appId !== app.id) throw new ApiError(404, 'unknown_app', 'Unknown app id');
  const query = request.query as Record<string, unknown>;
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const key = text('auth_key');
  const timestamp = text('auth_timestamp');
  const signature = text('auth_signature');
  if (key === undefined || timestamp === undefined || signature === undefined || text('auth_version') === undefined) {
    throw new ApiError(401, 'unsigned', 'auth_key, auth_timestamp, auth_version and auth_signature are required');
  }
  if (key !== app.key) throw new ApiError(401, 'unknown_key', 'Unknown auth_key');
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
    throw new ApiError(401, 'stale_timestamp', `auth_timestamp must be within ${MAX_CLOCK_SKEW_SECONDS} s of the server's clock`);
  }
  const body = typeof request.body === 'string' ? request.body : '';
  if (body !== '' && !sameText(text('body_md5') ?? '', md5Hex(body))) throw new ApiError(401, 'bad_body_md5', 'body_md5 does not match the body');
  const strings = Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const path = request.url.split('?')[0]!;
  if (!sameText(signature, apiSignature(app.secret, request.method, path, strings))) throw new ApiError(401, 'bad_signature', 'Invalid signature');
  if (body === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not valid JSON');
  }
}

function eventOf(body: unknown, maxBytes: number): Omit<ChannelEvent, 'channel'> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { name?: unknown; data?: unknown; socket_id?: unknown };
  if (typeof b.name !== 'string' || b.name === '' || b.name.length > 200) throw new ApiError(400, 'invalid_name', 'name: 1 to 200 characters');
  const data = typeof b.data === 'string' ? b.data : JSON.stringify(b.data ?? null);
  if (Buffer.byteLength(data) > maxBytes) throw new ApiError(413, 'payload_too_large', `data: at most ${maxBytes} bytes`);
  if (b.socket_id !== undefined && (typeof b.socket_id !== 'string' || !/^\d+\.\d+$/.test(b.socket_id))) throw new ApiError(400, 'invalid_socket_id', 'socket_id: <digits>.<digits>');
  return { event: b.name, data, ...(typeof b.socket_id === 'string' ? { exceptSocketId: b.socket_id } : {}) };
}

function infoFields(info: string | undefined): Set<string> {
  return new Set((info ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

function channelParam(name: string): string {
  if (!isChannelName(name)) throw new ApiError(400, 'invalid_channel', 'Invalid channel name');
  return name;
}
