import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import { takeFlash } from '../../src/http/flash.ts';
import { safeRedirectTarget } from '../../src/http/hosts.ts';
import { html } from '../../src/http/html.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { flashMessage } from './views.ts';

const SignInForm = Type.Object({
  email: Type.String({ maxLength: 255 }),
  password: Type.String({ maxLength: 256 }),
  next: Type.Optional(Type.String({ maxLength: 2048 })),
  _csrf: Type.Optional(Type.String()),
});

/** The HTML sign-in form (accounts host); it signs in for every app and returns to `next`. */
export async function signInPage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const apps = new Set(ctx.apps.map((a) => a.name));

  app.get('/signin', { schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2048 })) }) } }, async (request, reply) => {
    const next = safeRedirectTarget(request.query.next, ctx.domain, apps);
    if (await ctx.user(request)) return reply.redirect(next ?? '/', 303);
    return form(request, reply, { next });
  });

  app.post('/signin', { schema: { body: SignInForm } }, async (request, reply) => {
    ctx.refuseForeignOrigin(request);
    const { email, password } = request.body;
    const next = safeRedirectTarget(request.body.next, ctx.domain, apps);
    if (!email || !password) return form(request, reply, { next, email, error: 'Enter your email and password.', status: 422 });
    const result = await ctx.signIn.attempt(email, password, request.ip);
    if (!result.ok) {
      if (result.reason === 'locked') reply.header('retry-after', String(result.retryAfterSeconds));
      const error =
        result.reason === 'locked'
          ? `Too many failed attempts. Try again in ${Math.ceil(result.retryAfterSeconds / 60)} minute(s).`
          : result.reason === 'disabled'
            ? 'This account is disabled: ask an administrator to enable it again.'
            : 'Email or password is wrong.';
      return form(request, reply, { next, email, error, status: { locked: 429, disabled: 403, invalid: 401 }[result.reason] });
    }
    ctx.signInSession(request, result.principal.id);
    return reply.redirect(next ?? '/', 303);
  });

  function form(
    request: Parameters<AppContext['page']>[0],
    reply: Parameters<AppContext['page']>[1],
    state: { next: string | undefined; email?: string; error?: string; status?: number },
  ) {
    const csrf = ctx.session(request).csrfToken;
    const body = html`<h1>Sign in</h1>
<p class="muted">One account for every Marg app.</p>
${flashMessage(takeFlash(request))}
${state.error ? html`<p class="flash error" role="alert">${state.error}</p>` : ''}
<form method="post" action="/signin" class="card" id="signin">
  <input type="hidden" name="_csrf" value="${csrf}">
  ${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ''}
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required value="${state.email ?? ''}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <p><button type="submit">Sign in</button></p>
</form>
<p><a href="/password/forgot">Forgot your password?</a></p>`;
    // Under the site-wide `no-referrer`, browsers post this form with `Origin: null`, which the
    // login-CSRF check must refuse (a foreign page can send that too): let them name this origin.
    reply.header('referrer-policy', 'same-origin');
    return ctx.page(request, reply, { title: 'Sign in', body, ...(state.status ? { status: state.status } : {}) });
  }
}
