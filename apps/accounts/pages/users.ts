import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Principal } from '../../../src/auth/rbac.ts';
import type { AppContext } from '../../../src/http/app-context.ts';
import { HttpError } from '../../../src/http/errors.ts';
import { html } from '../../../src/http/html.ts';
import { timeTag } from '../../../src/http/time.ts';
import { decodeCursor, page, PageQuery } from '../../../src/http/pagination.ts';
import type { MargFastify } from '../../../src/platform/app-module.ts';
import { setFlash, takeFlash } from '../../../src/http/flash.ts';
import { roleCatalog, type RoleInfo } from '../role-catalog.ts';
import { createUser } from '../user-creation.ts';
import { usersWithRoles } from '../user-json.ts';
import { accountsNav, csrfField, flashMessage, formProblems, nextPageLink, roleBadges } from '../views.ts';

// Browsers send form fields as text; one `roles` select per app arrives as a list.
const CreateForm = Type.Object({
  _csrf: Type.Optional(Type.String()),
  email: Type.Optional(Type.String({ maxLength: 1024 })),
  name: Type.Optional(Type.String({ maxLength: 1024 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  roles: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })])),
});

interface FormState {
  readonly email?: string;
  readonly name?: string;
  readonly roles?: readonly string[];
  readonly error?: HttpError;
}

/** GET /users (list, create form) and POST /users (create). */
export async function usersPage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/users', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const user = await ctx.requirePermission(request, 'accounts.users.read');
    return render(request, reply, user, request.query, {});
  });

  app.post('/users', { schema: { body: CreateForm } }, async (request, reply) => {
    const actor = await ctx.requirePermission(request, 'accounts.users.create');
    const { email = '', name = '', password = '' } = request.body;
    const roles = [request.body.roles ?? []].flat().filter((r) => r !== '');
    try {
      const created = await createUser(ctx, request, actor, { email, name, password, roles });
      setFlash(ctx, request, `Created ${created.name} (${created.email}).`);
      return reply.redirect(`/users/${created.id}`, 303);
    } catch (error) {
      if (!(error instanceof HttpError) || (error.statusCode !== 409 && error.statusCode !== 422)) throw error;
      return render(request, reply, actor, { limit: 25 }, { email, name, roles, error });
    }
  });

  async function render(request: FastifyRequest, reply: FastifyReply, viewer: Principal, query: PageQuery, form: FormState) {
    const rows = await ctx.services.users.list(query.limit + 1, decodeCursor(query.cursor));
    const { data, next } = page(rows, query.limit, (u) => u);
    const users = await usersWithRoles(ctx.services, data);
    const body = html`<h1>Users</h1>
${accountsNav(viewer, 'users')}
${flashMessage(takeFlash(request))}
<div class="table-wrap"><table>
  <thead><tr><th>Name</th><th>Email</th><th>Roles</th><th>Created</th></tr></thead>
  <tbody>${users.map(
    (u) => html`<tr><td><a href="/users/${u.id}">${u.name}</a>${u.disabled ? html` <span class="badge">disabled</span>` : ''}</td><td>${u.email}</td><td>${roleBadges(u.roles)}</td><td class="muted">${timeTag(u.createdAt, 'date')}</td></tr>`,
  )}</tbody>
</table></div>
${nextPageLink('/users', next, { limit: query.limit === 25 ? undefined : String(query.limit) })}
${can(viewer, 'accounts.users.create') ? createForm(ctx.session(request).csrfToken, can(viewer, 'accounts.roles.manage') ? await roleCatalog(ctx.services) : undefined, form) : ''}`;
    return ctx.page(request, reply, { title: 'Users', body, ...(form.error ? { status: form.error.statusCode } : {}) });
  }

  function createForm(csrf: string, catalog: readonly RoleInfo[] | undefined, form: FormState) {
    return html`<h2 id="create">Create a user</h2>
${formProblems(form.error?.message, form.error?.fields)}
<form method="post" action="/users" class="card" id="create-user">
  ${csrfField(csrf)}
  <label for="new-email">Email</label>
  <input id="new-email" name="email" type="email" required value="${form.email ?? ''}">
  <label for="new-name">Name</label>
  <input id="new-name" name="name" required value="${form.name ?? ''}">
  <label for="new-password">Password</label>
  <input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="8">
  ${catalog ? roleSelects(catalog, form.roles ?? []) : ''}
  <p><button type="submit">Create user</button></p>
</form>`;
  }

  function roleSelects(catalog: readonly RoleInfo[], chosen: readonly string[]) {
    return ctx.apps.map((a) => {
      const options = catalog.filter((r) => r.app === a.name);
      return html`<label for="new-role-${a.name}">Role in ${a.title}</label>
  <select id="new-role-${a.name}" name="roles">
    <option value="">No access</option>
    ${options.map((r) => {
      const ref = `${r.app}:${r.name}`;
      return html`<option value="${ref}"${chosen.includes(ref) ? html` selected` : ''}>${r.name} — ${r.description}</option>`;
    })}
  </select>`;
    });
  }
}
