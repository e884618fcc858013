import { Type } from '@sinclair/typebox';
import { can } from '../auth/rbac.ts';
import type { AppModule, ChannelRule, MargFastify } from '../platform/app-module.ts';
import { channelKind, isChannelName } from '../realtime/channels.ts';
import { channelAuth } from '../realtime/signature.ts';
import type { AppContext } from './app-context.ts';
import { HttpError } from './errors.ts';

/** What pusher-js and Echo post (form-encoded by default, JSON if configured). */
const AuthBody = Type.Object({
  socket_id: Type.String({ pattern: '^\\d{1,20}\\.\\d{1,20}$' }),
  channel_name: Type.String({ minLength: 1, maxLength: 164 }),
});

function compile(rule: ChannelRule): RegExp {
  const parts = rule.pattern.split(/\{[A-Za-z_][A-Za-z0-9_]*\}/).map((p) => p.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[A-Za-z0-9_\\-=@,;]+')}$`);
}

/**
 * `POST /broadcasting/auth` (Laravel's path) on every app host: signs a private or presence
 * subscription for the signed-in user when an app's channel rule allows it (the session and
 * CSRF as for every POST). Answers `{auth}`, and `channel_data` (user id and name) for presence.
 */
export async function broadcastingAuthRoutes(app: MargFastify, opts: { ctx: AppContext; apps: readonly AppModule[] }): Promise<void> {
  const { ctx } = opts;
  const rules = opts.apps.flatMap((a) => (a.channels ?? []).map((rule) => ({ rule, regex: compile(rule) })));

  app.post('/broadcasting/auth', { schema: { body: AuthBody } }, async (request) => {
    const realtime = ctx.services.config.realtime.app;
    if (!realtime) throw new HttpError(404, 'not_configured', 'Broadcasting is not configured (REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET).');
    const { socket_id: socketId, channel_name: channel } = request.body;
    if (!isChannelName(channel) || channelKind(channel) === 'public' || channelKind(channel) === 'encrypted') {
      throw new HttpError(422, 'invalid_channel', 'channel_name must be a private- or presence- channel.');
    }
    const principal = await ctx.requireUser(request);
    const match = rules.find((r) => r.regex.test(channel));
    if (!match) throw new HttpError(403, 'forbidden', 'No app declares this channel.');
    if (!can(principal, match.rule.permission)) throw await ctx.deny(request, principal, match.rule.permission);
    if (channelKind(channel) === 'presence') {
      const channelData = JSON.stringify({ user_id: String(principal.id), user_info: { name: principal.name } });
      return { auth: channelAuth(realtime.key, realtime.secret, socketId, channel, channelData), channel_data: channelData };
    }
    return { auth: channelAuth(realtime.key, realtime.secret, socketId, channel) };
  });
}
