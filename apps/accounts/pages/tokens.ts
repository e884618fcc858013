import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ALL_ABILITIES } from '../../../src/auth/access-tokens.ts';
import type { Principal } from '../../../src/auth/rbac.ts';
import type { AppContext } from '../../../src/http/app-context.ts';
import { HttpError } from '../../../src/http/errors.ts';
import { setFlash, takeFlash } from '../../../src/http/flash.ts';
import { html } from '../../../src/http/html.ts';
import { IdParams } from '../../../src/http/params.ts';
import { timeTag } from '../../../src/http/time.ts';
import type { MargFastify } from '../../../src/platform/app-module.ts';
import { createToken, revokeToken } from '../tokens-api.ts';
import { accountsNav, csrfField, flashMessage, formProblems } from '../views.ts';

const TokenForm = Type.Object({
  name: Type.String({ maxLength: 1024 }),
  // One checkbox sends a string, several an array.
  abilities: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100 })])),
  expiresInDays: Type.Optional(Type.String({ maxLength: 4 })),
  _csrf: Type.Optional(Type.String()),
});
const CsrfForm = Type.Object({ _csrf: Type.Optional(Type.String()) });
const EXPIRY_CHOICES = [
  ['7', '7 days'],
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', 'a year'],
  ['', 'never'],
] as const;

/** GET /tokens: the user's API tokens; create (shown once) and revoke. */
export async function tokensPage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/tokens', async (request, reply) => render(request, reply, await ctx.requireUser(request), {}));

  app.post('/tokens', { schema: { body: TokenForm } }, async (request, reply) => {
    const user = await ctx.requireUser(request);
    const abilities = [request.body.abilities ?? []].flat();
    const days = request.body.expiresInDays ? Number(request.body.expiresInDays) : undefined;
    const expiresAt = days && Number.isInteger(days) && days > 0 ? new Date(Date.now() + days * 86_400_000).toISOString() : undefined;
    try {
      const created = await createToken(ctx, request, user, { name: request.body.name, abilities, expiresAt });
      // Answered here, never through the session: the token is shown once and stored nowhere.
      reply.header('cache-control', 'no-store');
      return render(request, reply, user, { created: { name: created.info.name, token: created.token } }, 201);
    } catch (error) {
      if (!(error instanceof HttpError) || error.statusCode !== 422) throw error;
      return render(request, reply, user, { error, name: request.body.name, abilities }, 422);
    }
  });

  app.post('/tokens/:id/revoke', { schema: { params: IdParams, body: CsrfForm } }, async (request, reply) => {
    const user = await ctx.requireUser(request);
    const revoked = await revokeToken(ctx, request, user, request.params.id);
    setFlash(ctx, request, revoked ? 'Token revoked: it no longer works.' : 'That token was already gone.');
    return reply.redirect('/tokens', 303);
  });

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    user: Principal,
    state: { created?: { name: string; token: string }; error?: HttpError; name?: string; abilities?: readonly string[] },
    status = 200,
  ) {
    const csrf = ctx.session(request).csrfToken;
    const tokens = await ctx.services.tokens.listOf(user.id);
    const chosen = new Set(state.abilities ?? []);
    const body = html`<h1>API tokens</h1>
${accountsNav(user, 'tokens')}
${flashMessage(takeFlash(request))}
<p class="muted">Scripts and other services send a token as <code>Authorization: Bearer …</code> to any app's <code>/api</code>. A token can do what its abilities say, and never more than you can.</p>
${state.created
  ? html`<section class="card" id="new-token" role="status"><p><strong>Your new token "${state.created.name}"</strong> — copy it now: it is not shown again.</p><code class="secret" id="token-value">${state.created.token}</code></section>`
  : ''}
${tokens.length === 0
  ? html`<p class="muted">You have no tokens.</p>`
  : html`<div class="table-wrap"><table id="tokens">
  <thead><tr><th>Name</th><th>Abilities</th><th>Last used</th><th>Expires</th><th></th></tr></thead>
  <tbody>${tokens.map(
    (t) => html`<tr><td>${t.name}<br><span class="muted">created ${timeTag(t.createdAt, 'date')}</span></td><td>${t.abilities.map((a) => html`<span class="badge">${a === ALL_ABILITIES ? 'all my permissions' : a}</span> `)}</td><td>${t.lastUsedAt ? timeTag(t.lastUsedAt) : html`<span class="muted">never</span>`}</td><td>${t.expiresAt ? timeTag(t.expiresAt, 'date') : html`<span class="muted">never</span>`}</td>
    <td><form method="post" action="/tokens/${t.id}/revoke" class="inline" data-confirm="${`Revoke "${t.name}"? Whatever uses it stops working.`}">${csrfField(csrf)}<button type="submit" class="danger">Revoke<span class="muted"> ${t.name}</span></button></form></td></tr>`,
  )}</tbody>
</table></div>`}

<h2 id="create">Create a token</h2>
${formProblems(state.error?.message, state.error?.fields)}
<form method="post" action="/tokens" class="card" id="create-token">
  ${csrfField(csrf)}
  <label for="token-name">Name</label>
  <input id="token-name" name="name" required maxlength="100" value="${state.name ?? ''}" placeholder="deploy script">
  <fieldset><legend>Abilities</legend>
    <label><input type="checkbox" name="abilities" value="${ALL_ABILITIES}"${chosen.has(ALL_ABILITIES) ? html` checked` : ''}> All my permissions</label>
    ${user.permissions.map((p) => html`<label><input type="checkbox" name="abilities" value="${p}"${chosen.has(p) ? html` checked` : ''}> ${p}</label>`)}
  </fieldset>
  <label for="token-expiry">Expires after</label>
  <select id="token-expiry" name="expiresInDays">${EXPIRY_CHOICES.map(([value, label]) => html`<option value="${value}"${value === '90' ? html` selected` : ''}>${label}</option>`)}</select>
  <p><button type="submit">Create token</button></p>
</form>`;
    return ctx.page(request, reply, { title: 'API tokens', body, status });
  }
}
