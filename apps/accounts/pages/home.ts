import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Principal } from '../../../src/auth/rbac.ts';
import type { AppContext } from '../../../src/http/app-context.ts';
import { HttpError } from '../../../src/http/errors.ts';
import { html } from '../../../src/http/html.ts';
import { timeTag } from '../../../src/http/time.ts';
import type { MargFastify } from '../../../src/platform/app-module.ts';
import { setFlash, takeFlash } from '../../../src/http/flash.ts';
import { changeName, changePassword } from '../account-changes.ts';
import { roleCatalog } from '../role-catalog.ts';
import { accountsNav, csrfField, flashMessage, formProblems, roleDescription, rolesByApp } from '../views.ts';

const NameForm = Type.Object({ name: Type.String({ maxLength: 1024 }), _csrf: Type.Optional(Type.String()) });
const PasswordForm = Type.Object({
  currentPassword: Type.String({ maxLength: 1024 }),
  password: Type.String({ maxLength: 1024 }),
  confirm: Type.String({ maxLength: 1024 }),
  _csrf: Type.Optional(Type.String()),
});
const CsrfForm = Type.Object({ _csrf: Type.Optional(Type.String()) });

type Problem = { readonly form: 'name' | 'password'; readonly error: HttpError };

/** GET / — "Your account": profile, password, sessions ("sign out other devices"), roles per app. */
export async function homePage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/', async (request, reply) => render(request, reply, await ctx.requireUser(request)));

  app.post('/profile', { schema: { body: NameForm } }, async (request, reply) => {
    const user = await ctx.requireUser(request);
    return attempt(request, reply, user, 'name', async () => {
      await changeName(ctx, request, user, request.body.name);
      return 'Your name is changed.';
    });
  });

  app.post('/profile/password', { schema: { body: PasswordForm } }, async (request, reply) => {
    const user = await ctx.requireUser(request);
    return attempt(request, reply, user, 'password', async () => {
      if (request.body.password !== request.body.confirm) throw new HttpError(422, 'validation_failed', 'The two new passwords differ.', { confirm: 'differs' });
      const ended = await changePassword(ctx, request, user, request.body.currentPassword, request.body.password);
      return `Your password is changed${ended ? `; ${ended} other session(s) signed out` : ''}.`;
    });
  });

  app.post('/sessions/others', { schema: { body: CsrfForm } }, async (request, reply) => {
    const user = await ctx.requireUser(request);
    const ended = await ctx.sessions.endSessionsOf(user.id, request.session?.id);
    await ctx.services.audit.record('auth.sessions_revoked', { actorId: user.id, subject: user.email, ip: request.ip, details: { sessions: ended, others: true } });
    setFlash(ctx, request, ended ? `Signed out ${ended} other session(s).` : 'There was no other session.');
    return reply.redirect('/#sessions', 303);
  });

  async function attempt(request: FastifyRequest, reply: FastifyReply, user: Principal, form: Problem['form'], work: () => Promise<string>) {
    try {
      setFlash(ctx, request, await work());
      return reply.redirect('/', 303);
    } catch (error) {
      if (!(error instanceof HttpError) || error.statusCode !== 422) throw error;
      return render(request, reply, user, { form, error });
    }
  }

  async function render(request: FastifyRequest, reply: FastifyReply, user: Principal, problem?: Problem) {
    const catalog = await roleCatalog(ctx.services);
    const byApp = rolesByApp(user.roles);
    const csrf = ctx.session(request).csrfToken;
    const sessions = await ctx.sessions.listOf(user.id);
    const isCurrent = (id: string) => id === request.session?.id;
    const ordered = [...sessions.filter((s) => isCurrent(s.id)), ...sessions.filter((s) => !isCurrent(s.id))];
    const admin = [
      can(user, 'accounts.users.read') ? html`<li><a href="/users">Users and their roles</a></li>` : '',
      can(user, 'accounts.audit.read') ? html`<li><a href="/audit">Audit log</a></li>` : '',
    ].filter((item) => item !== '');
    const avatar = ctx.shell(request, user, csrf).avatarUrl;

    const body = html`<h1>Your account</h1>
${accountsNav(user, 'home')}
${flashMessage(takeFlash(request))}
<section class="card row">
  ${avatar ? html`<img class="avatar big" src="${avatar}" alt="" width="56" height="56">` : ''}
  <div><strong>${user.name}</strong><br><span class="muted">${user.email}</span></div>
</section>

<h2 id="profile">Name</h2>
${problem?.form === 'name' ? formProblems(problem.error.message, problem.error.fields) : ''}
<form method="post" action="/profile" class="card row" id="profile-form">
  ${csrfField(csrf)}
  <div><label for="name">Your name</label><input id="name" name="name" required maxlength="255" value="${user.name}" autocomplete="name"></div>
  <div><button type="submit">Save</button></div>
</form>

<h2 id="password">Password</h2>
${problem?.form === 'password' ? formProblems(problem.error.message, problem.error.fields) : ''}
<form method="post" action="/profile/password" class="card" id="password-form">
  ${csrfField(csrf)}
  <input type="hidden" name="username" value="${user.email}" autocomplete="username">
  <label for="current-password">Current password</label>
  <input id="current-password" name="currentPassword" type="password" autocomplete="current-password" required>
  <label for="new-password">New password</label>
  <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="8" required>
  <label for="confirm-password">New password again</label>
  <input id="confirm-password" name="confirm" type="password" autocomplete="new-password" minlength="8" required>
  <p class="muted">Changing it signs out your other sessions; this one stays.</p>
  <p><button type="submit">Change password</button></p>
</form>

<h2 id="sessions">Where you are signed in</h2>
<div class="table-wrap"><table>
  <thead><tr><th>Browser</th><th>IP</th><th>Signed in</th><th>Last seen</th></tr></thead>
  <tbody>${ordered.map((s) => {
    const info = s.info();
    return html`<tr><td><span title="${info.userAgent ?? ''}">${browserName(info.userAgent)}</span>${isCurrent(s.id) ? html` <span class="badge">this one</span>` : ''}</td><td class="nowrap">${info.ip ?? ''}</td><td>${timeTag(info.createdAt)}</td><td>${timeTag(info.lastSeenAt)}</td></tr>`;
  })}</tbody>
</table></div>
<form method="post" action="/sessions/others" id="signout-others" data-confirm="Sign out every other session?">${csrfField(csrf)}<p><button type="submit" class="secondary">Sign out other devices</button></p></form>

<h2>Your roles</h2>
<div class="table-wrap"><table>
  <thead><tr><th>App</th><th>Roles</th><th></th></tr></thead>
  <tbody>${ctx.apps.map((a) => {
    const names = byApp.get(a.name) ?? [];
    return html`<tr>
    <td>${a.title}</td>
    <td>${names.length ? names.map((n) => html`<span class="badge" title="${roleDescription(catalog, a.name, n)}">${n}</span> `) : html`<span class="muted">no access</span>`}</td>
    <td><a href="${ctx.url(request, a.name)}">Open ${a.title}</a></td>
  </tr>`;
  })}</tbody>
</table></div>
${admin.length ? html`<h2>Administration</h2><ul>${admin}</ul>` : ''}`;
    return ctx.page(request, reply, { title: 'Your account', body, ...(problem ? { status: problem.error.statusCode } : {}) });
  }
}

/** "Chrome on Linux" from a User-Agent, for the sessions list (the full string is the cell's title). */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return 'unknown browser';
  const browser = /(Edg|OPR|Firefox|HeadlessChrome|Chrome|Safari)\/(\d+)/.exec(userAgent);
  const system = /(Windows|Android|iPhone|iPad|Mac OS X|Linux)/.exec(userAgent);
  const name = browser ? `${{ Edg: 'Edge', OPR: 'Opera' }[browser[1]!] ?? browser[1]} ${browser[2]}` : userAgent.slice(0, 40);
  return system ? `${name} on ${system[1] === 'Mac OS X' ? 'macOS' : system[1]}` : name;
}
