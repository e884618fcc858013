import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../src/http/app-context.ts';
import { badRequest, HttpError, notFound } from '../../src/http/errors.ts';
import { IdParams } from '../../src/http/params.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { AVATAR_MAX_BYTES, AVATAR_TYPES, avatarKeys, avatarVersion, dispatchAvatarThumbnail, isAvatarType, type AvatarType } from './avatar.ts';
import { checkAvatarImage } from './avatar-images.ts';

const AvatarQuery = Type.Object({
  size: Type.Optional(Type.Union([Type.Literal('thumb'), Type.Literal('original')], { default: 'thumb' })),
  /** `initials`: a user without an avatar gets a generated picture (the page header's), not a 404. */
  fallback: Type.Optional(Type.Literal('initials')),
});

const ACCEPTED = Object.keys(AVATAR_TYPES).join(', ');

/**
 * PUT/DELETE /api/me/avatar, GET /api/users/:id/avatar. Registered as its own plugin: the
 * image body parser (and its 5 MB limit) exists only here, so no other route takes images.
 */
export async function avatarApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const { storage } = ctx.services;

  app.addContentTypeParser(Object.keys(AVATAR_TYPES), { parseAs: 'buffer', bodyLimit: AVATAR_MAX_BYTES }, (_request, body, done) => done(null, body));

  app.put(
    '/api/me/avatar',
    {
      bodyLimit: AVATAR_MAX_BYTES,
      // Before the body is read: a signed-out or wrongly typed upload is refused without taking it in.
      onRequest: async (request) => {
        await ctx.requireUser(request);
        uploadType(request);
      },
    },
    async (request, reply) => {
      const user = await ctx.requireUser(request);
      const type = uploadType(request);
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest('The request body is empty: send the image bytes as the body.');
      await checkAvatarImage(body, type);
      const keys = avatarKeys(user.id);
      // Stored as uploaded: the original is the user's picture; only the thumbnail is re-encoded.
      await storage.put(keys.original, body, { contentType: type });
      // The old thumbnail shows another picture: gone until the job has made the new one.
      await storage.delete(keys.thumb);
      await dispatchAvatarThumbnail(ctx.services, { userId: user.id, version: avatarVersion(body) });
      return reply.code(202).send({ status: 'processing' });
    },
  );

  app.delete('/api/me/avatar', async (request, reply) => {
    const user = await ctx.requireUser(request);
    const keys = avatarKeys(user.id);
    // The original first: a thumbnail job still running then sees it gone and removes its thumbnail too.
    await storage.delete(keys.original);
    await storage.delete(keys.thumb);
    return reply.code(204).send();
  });

  app.get('/api/users/:id/avatar', { schema: { params: IdParams, querystring: AvatarQuery } }, async (request, reply) => {
    await ctx.requireUser(request);
    // Every app's page header shows it from this host: the other app hosts are the same site.
    reply.header('cross-origin-resource-policy', 'same-site');
    const keys = avatarKeys(request.params.id);
    const size = request.query.size ?? 'thumb';
    const object = await storage.get(size === 'original' ? keys.original : keys.thumb);
    if (!object && request.query.fallback === 'initials') {
      const user = await ctx.services.users.find(request.params.id);
      if (!user) throw notFound('User');
      return reply.header('cache-control', 'private, max-age=60').type('image/svg+xml').send(initialsAvatar(user.name, user.id));
    }
    if (!object) {
      if (size === 'thumb' && (await storage.exists(keys.original))) {
        throw new HttpError(404, 'not_found', 'The avatar thumbnail is not made yet: try again in a moment.');
      }
      throw notFound('Avatar');
    }
    return reply
      .header('cache-control', 'private, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .type(object.contentType)
      .send(object.body);
  });
}

/** The upload's media type (parameters dropped), or 415. */
function uploadType(request: FastifyRequest): AvatarType {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (isAvatarType(type)) return type;
  throw new HttpError(
    415,
    'unsupported_media_type',
    `Send the image as the raw request body with Content-Type ${ACCEPTED}${type ? ` (got ${type})` : ''}.`,
  );
}

const AVATAR_COLOURS = ['#2456d3', '#067647', '#b54708', '#6941c6', '#c11574', '#0e7090'];

/** A round picture with the name's initials (escaped: they come from the user's name). */
function initialsAvatar(name: string, id: number): string {
  const initials = name
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    // The first letter or digit of the first two words: never markup, whatever the name holds.
    .map((part) => /[\p{L}\p{N}]/u.exec(part)?.[0]?.toUpperCase() ?? '')
    .join('');
  const colour = AVATAR_COLOURS[id % AVATAR_COLOURS.length]!;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="32" fill="${colour}"/><text x="32" y="41" font-family="system-ui,sans-serif" font-size="26" font-weight="600" fill="#fff" text-anchor="middle">${initials || '?'}</text></svg>`;
}
