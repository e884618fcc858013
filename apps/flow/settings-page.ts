import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import { setFlash, takeFlash } from '../../src/http/flash.ts';
import { html, type SafeHtml } from '../../src/http/html.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { REPORT_PERMISSION } from './report.ts';
import { ReportSubscriptions } from './report-subscriptions.ts';

// A checkbox that is not ticked is not sent at all: absent means "no".
const ReportForm = Type.Object({ subscribed: Type.Optional(Type.Literal('on')), _csrf: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });

/** flow's settings page (`/settings`): the daily report subscription, the page form of `/api/report-subscription`. */
export async function settingsPage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const subscriptions = ReportSubscriptions.of(ctx.services);

  app.get('/settings', async (request, reply) => {
    const principal = await ctx.requirePermission(request, REPORT_PERMISSION);
    const subscribed = await subscriptions.isSubscribed(principal.id);
    const body = settingsView({ subscribed, email: principal.email, csrf: ctx.session(request).csrfToken, flash: takeFlash(request) });
    return ctx.page(request, reply, { title: 'Settings', body });
  });

  app.post('/settings/report', { schema: { body: ReportForm } }, async (request, reply) => {
    const wanted = request.body.subscribed === 'on';
    // As the API: subscribing takes the permission; stopping your own mail only being signed in.
    const principal = wanted ? await ctx.requirePermission(request, REPORT_PERMISSION) : await ctx.requireUser(request);
    if (wanted) await subscriptions.subscribe(principal.id, principal.email);
    else await subscriptions.unsubscribe(principal.id);
    setFlash(ctx, request, wanted ? `The daily report will be mailed to ${principal.email}.` : 'You will not get the daily report.');
    return reply.redirect('/settings', 303);
  });
}

function settingsView(view: { subscribed: boolean; email: string; csrf: string; flash: string | undefined }): SafeHtml {
  return html`<p class="crumbs"><a href="/">← All tasks</a></p>
<h1>Settings</h1>
${view.flash ? html`<p class="flash" role="status">${view.flash}</p>` : ''}
<form method="post" action="/settings/report" class="card" id="report-settings">
  <h2>Daily report</h2>
  <input type="hidden" name="_csrf" value="${view.csrf}">
  <p class="muted">A CSV of the tasks, mailed every day at 07:00 UTC to ${view.email}.</p>
  <label class="check"><input type="checkbox" name="subscribed" id="report-subscribed"${view.subscribed ? html` checked` : ''}> Mail me the daily report</label>
  <p><button type="submit">Save</button></p>
</form>`;
}
