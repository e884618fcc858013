import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Principal } from '../../../src/auth/rbac.ts';
import type { User } from '../../../src/auth/users.ts';
import type { AppContext } from '../../../src/http/app-context.ts';
import { HttpError, notFound, unprocessable } from '../../../src/http/errors.ts';
import { html } from '../../../src/http/html.ts';
import { timeTag } from '../../../src/http/time.ts';
import type { MargFastify } from '../../../src/platform/app-module.ts';
import { setFlash, takeFlash } from '../../../src/http/flash.ts';
import { findRole, roleCatalog, type RoleInfo } from '../role-catalog.ts';
import { deleteUser, setUserDisabled } from '../account-changes.ts';
import { changeRole } from '../role-changes.ts';
import { UserParams } from '../users-api.ts';
import { userWithRoles, type UserJson } from '../user-json.ts';
import { accountsNav, csrfField, flashMessage, formProblems, roleDescription, rolesByApp } from '../views.ts';

const RoleForm = Type.Object({ _csrf: Type.Optional(Type.String()), role: Type.Optional(Type.String({ maxLength: 64 })) });
const CsrfForm = Type.Object({ _csrf: Type.Optional(Type.String()) });

/** GET /users/:id (a user's roles per app) and the grant / revoke forms behind it. */
export async function userPage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/users/:id', { schema: { params: UserParams } }, async (request, reply) => {
    const viewer = await ctx.requirePermission(request, 'accounts.users.read');
    return render(request, reply, viewer, await findUser(request.params.id));
  });

  for (const kind of ['grant', 'revoke'] as const) {
    const path = kind === 'grant' ? '/users/:id/roles' : '/users/:id/roles/revoke';
    app.post(path, { schema: { params: UserParams, body: RoleForm } }, async (request, reply) => {
      const actor = await ctx.requirePermission(request, 'accounts.roles.manage');
      const target = await findUser(request.params.id);
      const text = request.body.role ?? '';
      try {
        const ref = findRole(await roleCatalog(ctx.services), text);
        if (!ref) throw unprocessable('Choose a role.', { role: 'is not a role' });
        const changed = await changeRole(ctx, kind, { actor, target, ref, request });
        const verb = kind === 'grant' ? 'Granted' : 'Revoked';
        setFlash(ctx, request, changed ? `${verb} ${text} ${kind === 'grant' ? 'to' : 'from'} ${target.name}.` : `Nothing changed: ${target.name} ${kind === 'grant' ? 'already holds' : 'does not hold'} ${text}.`);
        return reply.redirect(`/users/${target.id}`, 303);
      } catch (error) {
        if (!(error instanceof HttpError) || (error.statusCode !== 409 && error.statusCode !== 422)) throw error;
        return render(request, reply, actor, target, error);
      }
    });
  }

  // Disable, enable, delete (accounts.users.manage): the same rules as the API, answered as pages.
  for (const action of ['disable', 'enable', 'delete'] as const) {
    app.post(`/users/:id/${action}`, { schema: { params: UserParams, body: CsrfForm } }, async (request, reply) => {
      const actor = await ctx.requirePermission(request, 'accounts.users.manage');
      const target = await findUser(request.params.id);
      try {
        if (action === 'delete') {
          await deleteUser(ctx, request, actor, target.id);
          setFlash(ctx, request, `Deleted ${target.name} (${target.email}).`);
          return reply.redirect('/users', 303);
        }
        await setUserDisabled(ctx, request, actor, target.id, action === 'disable');
        setFlash(ctx, request, action === 'disable' ? `Disabled ${target.name}: signed out everywhere, cannot sign in.` : `Enabled ${target.name} again.`);
        return reply.redirect(`/users/${target.id}`, 303);
      } catch (error) {
        if (!(error instanceof HttpError) || error.statusCode !== 409) throw error;
        return render(request, reply, actor, target, error);
      }
    });
  }

  async function findUser(id: number): Promise<User> {
    const user = await ctx.services.users.find(id);
    if (!user) throw notFound('User');
    return user;
  }

  async function render(request: FastifyRequest, reply: FastifyReply, viewer: Principal, target: User, error?: HttpError) {
    const user = await userWithRoles(ctx.services, target);
    const catalog = await roleCatalog(ctx.services);
    const manage = can(viewer, 'accounts.roles.manage');
    const csrf = ctx.session(request).csrfToken;
    const body = html`<h1>${user.name}</h1>
${accountsNav(viewer, 'users')}
<p><a href="/users">← All users</a></p>
${flashMessage(takeFlash(request))}
${formProblems(error?.message, error?.fields)}
<section class="card">
  <p><strong>Email</strong><br>${user.email}</p>
  <p><strong>Created</strong><br>${timeTag(user.createdAt)}</p>
  <p><strong>Status</strong><br>${user.disabled ? html`<span class="badge">disabled</span> cannot sign in; API tokens refused` : 'active'}</p>
  ${can(viewer, 'accounts.users.manage') ? html`<div class="row">
    <form method="post" action="/users/${user.id}/${user.disabled ? 'enable' : 'disable'}" class="inline" id="toggle-user">${csrfField(csrf)}<button type="submit" class="secondary">${user.disabled ? 'Enable' : 'Disable'} ${user.name}</button></form>
    <form method="post" action="/users/${user.id}/delete" class="inline" id="delete-user" data-confirm="${`Delete ${user.name} (${user.email})? This cannot be undone.`}">${csrfField(csrf)}<button type="submit" class="danger">Delete ${user.name}</button></form>
  </div>` : ''}
</section>
<h2>Roles</h2>
${rolesTable(user, catalog, manage ? csrf : undefined)}
${manage ? grantForm(user, catalog, csrf) : html`<p class="muted">You can see these roles but not change them.</p>`}`;
    return ctx.page(request, reply, { title: user.name, body, ...(error ? { status: error.statusCode } : {}) });
  }

  /** One row per app; revoke buttons only when `csrf` is given (the viewer manages roles). */
  function rolesTable(user: UserJson, catalog: readonly RoleInfo[], csrf: string | undefined) {
    const byApp = rolesByApp(user.roles);
    return html`<div class="table-wrap"><table>
  <thead><tr><th>App</th><th>Role</th><th>What it allows</th>${csrf ? html`<th></th>` : ''}</tr></thead>
  <tbody>${ctx.apps.map((a) => {
    const names = byApp.get(a.name) ?? [];
    if (names.length === 0) return html`<tr><td>${a.title}</td><td class="muted">no access</td><td></td>${csrf ? html`<td></td>` : ''}</tr>`;
    return names.map(
      (n) => html`<tr><td>${a.title}</td><td><span class="badge">${n}</span></td><td>${roleDescription(catalog, a.name, n)}</td>${
        csrf
          ? html`<td><form method="post" action="/users/${user.id}/roles/revoke" class="inline">${csrfField(csrf)}<input type="hidden" name="role" value="${a.name}:${n}"><button type="submit" class="danger">Revoke ${a.name}:${n}</button></form></td>`
          : ''
      }</tr>`,
    );
  })}</tbody>
</table></div>`;
  }

  function grantForm(user: UserJson, catalog: readonly RoleInfo[], csrf: string) {
    const grantable = catalog.filter((r) => !user.roles.includes(`${r.app}:${r.name}`));
    if (grantable.length === 0) return html`<p class="muted">${user.name} holds every role.</p>`;
    return html`<form method="post" action="/users/${user.id}/roles" class="card row" id="grant-role">
  ${csrfField(csrf)}
  <div><label for="grant-role-select">Grant a role</label>
  <select id="grant-role-select" name="role">${ctx.apps.map((a) => {
    const options = grantable.filter((r) => r.app === a.name);
    return options.length
      ? html`<optgroup label="${a.title}">${options.map((r) => html`<option value="${r.app}:${r.name}">${r.app}:${r.name} — ${r.description}</option>`)}</optgroup>`
      : '';
  })}</select></div>
  <div><button type="submit">Grant</button></div>
</form>`;
  }
}
