import { can } from '../../../src/auth/rbac.ts';
import type { AppContext } from '../../../src/http/app-context.ts';
import { html } from '../../../src/http/html.ts';
import type { MargFastify } from '../../../src/platform/app-module.ts';
import { takeFlash } from '../../../src/http/flash.ts';
import { roleCatalog } from '../role-catalog.ts';
import { accountsNav, flashMessage, roleDescription, rolesByApp } from '../views.ts';

/** GET / — "Your account": who you are, your roles per app, where to go next. */
export async function homePage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/', async (request, reply) => {
    const user = await ctx.requireUser(request);
    const catalog = await roleCatalog(ctx.services);
    const byApp = rolesByApp(user.roles);
    const admin = [
      can(user, 'accounts.users.read') ? html`<li><a href="/users">Users and their roles</a></li>` : '',
      can(user, 'accounts.audit.read') ? html`<li><a href="/audit">Audit log</a></li>` : '',
    ].filter((item) => item !== '');

    const body = html`<h1>Your account</h1>
${accountsNav(user, 'home')}
${flashMessage(takeFlash(request))}
<section class="card">
  <p><strong>Name</strong><br>${user.name}</p>
  <p><strong>Email</strong><br>${user.email}</p>
</section>
<h2>Your roles</h2>
<table>
  <thead><tr><th>App</th><th>Roles</th><th></th></tr></thead>
  <tbody>${ctx.apps.map((a) => {
    const names = byApp.get(a.name) ?? [];
    return html`<tr>
    <td>${a.title}</td>
    <td>${names.length ? names.map((n) => html`<span class="badge" title="${roleDescription(catalog, a.name, n)}">${n}</span> `) : html`<span class="muted">no access</span>`}</td>
    <td><a href="${ctx.url(request, a.name)}">Open ${a.title}</a></td>
  </tr>`;
  })}</tbody>
</table>
${admin.length ? html`<h2>Administration</h2><ul>${admin}</ul>` : ''}`;
    return ctx.page(request, reply, { title: 'Your account', body });
  });
}
