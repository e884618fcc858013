import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../src/http/app-context.ts';
import { HttpError } from '../../../src/http/errors.ts';
import { setFlash } from '../../../src/http/flash.ts';
import { html } from '../../../src/http/html.ts';
import type { MargFastify } from '../../../src/platform/app-module.ts';
import { FORGOT_ANSWER, requestPasswordReset, resetPassword } from '../password-reset.ts';
import { csrfField, flashMessage, formProblems } from '../views.ts';

const ForgotForm = Type.Object({ email: Type.String({ maxLength: 255 }), _csrf: Type.Optional(Type.String()) });
const ResetForm = Type.Object({
  token: Type.String({ maxLength: 256 }),
  password: Type.String({ maxLength: 1024 }),
  confirm: Type.String({ maxLength: 1024 }),
  _csrf: Type.Optional(Type.String()),
});

/** "Forgot your password?" and the reset form the mail links to (accounts host). */
export async function passwordPages(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/password/forgot', async (request, reply) => forgotForm(request, reply, {}));

  app.post('/password/forgot', { schema: { body: ForgotForm } }, async (request, reply) => {
    if (!request.body.email.trim()) return forgotForm(request, reply, { error: 'Enter the email address of your account.', status: 422 });
    await requestPasswordReset(ctx, request, request.body.email);
    return forgotForm(request, reply, { sent: true, status: 202 });
  });

  app.get('/password/reset', { schema: { querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 256 })) }) } }, async (request, reply) => {
    return resetForm(request, reply, { token: request.query.token ?? '' });
  });

  app.post('/password/reset', { schema: { body: ResetForm } }, async (request, reply) => {
    const { token, password, confirm } = request.body;
    if (password !== confirm) return resetForm(request, reply, { token, error: 'The two passwords differ.', status: 422 });
    try {
      await resetPassword(ctx, request, token, password);
    } catch (error) {
      if (!(error instanceof HttpError) || error.statusCode >= 500) throw error;
      return resetForm(request, reply, { token, error: error.message, fields: error.fields, status: error.statusCode });
    }
    // The reset ended every session, this browser's too: a fresh one carries the notice.
    request.session?.destroy();
    request.session = null;
    setFlash(ctx, request, 'Your password is changed. Sign in with the new one.');
    return reply.redirect('/signin', 303);
  });

  function forgotForm(request: FastifyRequest, reply: FastifyReply, state: { sent?: boolean; error?: string; status?: number }) {
    const body = html`<h1>Forgot your password?</h1>
${state.sent ? flashMessage(FORGOT_ANSWER) : html`<p class="muted">Enter the email address of your account: we mail you a link to choose a new password.</p>`}
${state.error ? flashMessage(state.error, 'error') : ''}
<form method="post" action="/password/forgot" class="card" id="forgot">
  ${csrfField(ctx.session(request).csrfToken)}
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required>
  <p><button type="submit">Send the link</button></p>
</form>
<p><a href="/signin">Back to sign-in</a></p>`;
    reply.header('referrer-policy', 'same-origin');
    return ctx.page(request, reply, { title: 'Forgot your password?', body, ...(state.status ? { status: state.status } : {}) });
  }

  function resetForm(request: FastifyRequest, reply: FastifyReply, state: { token: string; error?: string; fields?: Readonly<Record<string, string>> | undefined; status?: number }) {
    const body = html`<h1>Choose a new password</h1>
${formProblems(state.error, state.fields)}
${state.token
  ? html`<form method="post" action="/password/reset" class="card" id="reset">
  ${csrfField(ctx.session(request).csrfToken)}
  <input type="hidden" name="token" value="${state.token}">
  <label for="password">New password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
  <label for="confirm">The same again</label>
  <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" required>
  <p><button type="submit">Set the password</button></p>
</form>`
  : html`<p class="flash error" role="alert">This page needs the link from the reset mail.</p>`}
<p><a href="/password/forgot">Ask for a new link</a> · <a href="/signin">Sign in</a></p>`;
    // The token is in this page's URL: it must not leave in a Referer (the site-wide no-referrer stays).
    return ctx.page(request, reply, { title: 'Choose a new password', body, ...(state.status ? { status: state.status } : {}) });
  }
}
