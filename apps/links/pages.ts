import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Principal } from '../../src/auth/rbac.ts';
import { HttpError } from '../../src/http/errors.ts';
import { setFlash, takeFlash } from '../../src/http/flash.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { CREATE, DELETE, linkForChange, MANAGE, mayChange, READ } from './access.ts';
import { decodeCursor, encodeCursor } from '../../src/http/pagination.ts';
import { IdParams } from '../../src/http/params.ts';
import { shortUrl } from './link-json.ts';
import type { Link } from './links-store.ts';
import type { LinksParts } from './parts.ts';
import { indexView, type CreateFormState } from './views.ts';

const PAGE_SIZE = 50;

const IndexQuery = Type.Object({
  owner: Type.Optional(Type.Union([Type.Literal('me'), Type.Literal('all')])),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
});
const CreateForm = Type.Object(
  {
    url: Type.String(),
    slug: Type.Optional(Type.String()),
    title: Type.Optional(Type.String()),
    _csrf: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const DeleteForm = Type.Object({ _csrf: Type.Optional(Type.String()) }, { additionalProperties: false });

const EMPTY_FORM = { url: '', slug: '', title: '' };

/** The links pages on the links host: list, create form, per-link delete (POST-redirect-GET). */
export async function linksPages(app: MargFastify, parts: LinksParts): Promise<void> {
  const { ctx, store, service } = parts;

  app.get('/', { schema: { querystring: IndexQuery } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, READ);
    return render(request, reply, principal, { scope: request.query.owner, cursor: request.query.cursor, flash: takeFlash(request) });
  });

  app.post('/', { schema: { body: CreateForm } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, CREATE);
    const { url, slug = '', title = '' } = request.body;
    try {
      const link = await service.create(principal.id, { url, slug: slug.trim() === '' ? undefined : slug.trim(), title });
      setFlash(ctx, request, `Created ${shortUrl(ctx, request, link.slug)}`);
      return reply.redirect('/', 303);
    } catch (error) {
      // Bad input or a taken slug: show the form again with what was typed.
      if (!(error instanceof HttpError) || (error.statusCode !== 422 && error.statusCode !== 409)) throw error;
      const form = { values: { url, slug, title }, error: error.message, fields: error.fields };
      return render(request, reply, principal, { form, status: error.statusCode });
    }
  });

  app.post('/links/:id/delete', { schema: { params: IdParams, body: DeleteForm } }, async (request, reply) => {
    const { link } = await linkForChange(ctx, request, store, request.params.id, DELETE);
    await service.delete(link);
    setFlash(ctx, request, `Deleted ${shortUrl(ctx, request, link.slug)}`);
    return reply.redirect('/', 303);
  });

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    state: { scope?: 'me' | 'all' | undefined; cursor?: string | undefined; flash?: string | undefined; form?: CreateFormState; status?: number },
  ): Promise<FastifyReply> {
    // Editors start with their own links; managers and read-only users with everyone's.
    const scope = state.scope ?? (can(principal, CREATE) && !can(principal, MANAGE) ? 'me' : 'all');
    const before = decodeCursor(state.cursor);
    const rows = await store.list(PAGE_SIZE + 1, { before, ownerId: scope === 'me' ? principal.id : undefined });
    const shown = rows.slice(0, PAGE_SIZE);
    const owners = scope === 'all' ? await ownerNames(shown) : new Map<number, string>();
    const body = indexView({
      csrfToken: ctx.session(request).csrfToken,
      scope,
      showOwners: scope === 'all',
      flash: state.flash,
      form: can(principal, CREATE) ? (state.form ?? { values: EMPTY_FORM }) : undefined,
      nextUrl: rows.length > PAGE_SIZE ? `/?owner=${scope}&cursor=${encodeCursor(shown[shown.length - 1]!.id)}` : undefined,
      rows: shown.map((link) => ({
        link,
        shortUrl: shortUrl(ctx, request, link.slug),
        owner: link.ownerId === principal.id ? 'you' : owners.get(link.ownerId),
        deletable: can(principal, DELETE) && mayChange(principal, link),
      })),
    });
    return ctx.page(request, reply, { title: 'Links', body, live: true, ...(state.status ? { status: state.status } : {}) });
  }

  /** Owners' names from the RBAC database (no cross-database join), one lookup per owner. */
  async function ownerNames(links: readonly Link[]): Promise<Map<number, string>> {
    const ids = [...new Set(links.map((l) => l.ownerId))];
    const users = await Promise.all(ids.map((id) => ctx.services.users.find(id)));
    return new Map(ids.map((id, i) => [id, users[i]?.name ?? `deleted user #${id}`]));
  }
}
