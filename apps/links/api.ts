import { Type } from '@sinclair/typebox';
import { notFound } from '../../src/http/errors.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { CREATE, DELETE, linkForChange, READ, UPDATE } from './access.ts';
import { decodeCursor, page } from '../../src/http/pagination.ts';
import { IdParams } from '../../src/http/params.ts';
import { linkJson } from './link-json.ts';
import type { LinksParts } from './parts.ts';
import { clicksByDay } from './clicks.ts';

const ListQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
  owner: Type.Optional(Type.Literal('me')),
});

const ClicksQuery = Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) }, { additionalProperties: false });

const Title = Type.Union([Type.String(), Type.Null()]);
const CreateBody = Type.Object(
  { url: Type.String(), slug: Type.Optional(Type.String()), title: Type.Optional(Title) },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  { url: Type.Optional(Type.String()), slug: Type.Optional(Type.String()), title: Type.Optional(Title) },
  { additionalProperties: false },
);

/** The links JSON API (DESIGN §4): `/api/links[/:id]`. */
export async function linksApi(app: MargFastify, parts: LinksParts): Promise<void> {
  const { ctx, store, service } = parts;

  app.get('/api/links', { schema: { querystring: ListQuery } }, async (request) => {
    const principal = await ctx.requirePermission(request, READ);
    const { limit, owner } = request.query;
    const before = decodeCursor(request.query.cursor);
    const rows = await store.list(limit + 1, { before, ownerId: owner === 'me' ? principal.id : undefined });
    return page(rows, limit, (link) => linkJson(ctx, request, link));
  });

  app.post('/api/links', { schema: { body: CreateBody } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, CREATE);
    const link = await service.create(principal.id, request.body);
    return reply.code(201).header('location', `/api/links/${link.id}`).send(linkJson(ctx, request, link));
  });

  app.get('/api/links/:id', { schema: { params: IdParams } }, async (request) => {
    await ctx.requirePermission(request, READ);
    const link = await store.find(request.params.id);
    if (!link) throw notFound('Link');
    return linkJson(ctx, request, link);
  });

  app.get('/api/links/:id/clicks', { schema: { params: IdParams, querystring: ClicksQuery } }, async (request) => {
    await ctx.requirePermission(request, READ);
    const link = await store.find(request.params.id);
    if (!link) throw notFound('Link');
    return { data: await clicksByDay(parts.connection, link.id, request.query.days ?? 30) };
  });

  app.patch('/api/links/:id', { schema: { params: IdParams, body: UpdateBody } }, async (request) => {
    const { link } = await linkForChange(ctx, request, store, request.params.id, UPDATE);
    return linkJson(ctx, request, await service.update(link, request.body));
  });

  app.delete('/api/links/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const { link } = await linkForChange(ctx, request, store, request.params.id, DELETE);
    await service.delete(link);
    return reply.code(204).send();
  });
}
