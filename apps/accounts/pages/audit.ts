import { AUDIT_EVENTS } from '../../../src/auth/audit.ts';
import type { AppContext } from '../../../src/http/app-context.ts';
import { html } from '../../../src/http/html.ts';
import { timeTag } from '../../../src/http/time.ts';
import { decodeCursor, page } from '../../../src/http/pagination.ts';
import type { MargFastify } from '../../../src/platform/app-module.ts';
import { AuditQuery } from '../audit-api.ts';
import { accountsNav, nextPageLink } from '../views.ts';


/** GET /audit — the audit log, newest first, filterable by event. */
export async function auditPage(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/audit', { schema: { querystring: AuditQuery } }, async (request, reply) => {
    const viewer = await ctx.requirePermission(request, 'accounts.audit.read');
    const { limit, cursor } = request.query;
    const event = request.query.event || undefined;
    const rows = await ctx.services.audit.list(limit + 1, { before: decodeCursor(cursor), event });
    const { data, next } = page(rows, limit, (entry) => entry);
    const actors = await actorNames(data.map((e) => e.actorId));

    const body = html`<h1>Audit log</h1>
${accountsNav(viewer, 'audit')}
<form method="get" action="/audit" class="card row" id="audit-filter">
  <div><label for="event">Event</label>
  <select id="event" name="event">
    <option value="">All events</option>
    ${AUDIT_EVENTS.map((e) => html`<option value="${e}"${e === event ? html` selected` : ''}>${e}</option>`)}
  </select></div>
  <div><button type="submit" class="secondary">Filter</button></div>
</form>
${data.length === 0 ? html`<p class="muted">No entries.</p>` : html`<table>
  <thead><tr><th>When</th><th>Event</th><th>Actor</th><th>Subject</th><th>IP</th><th>Details</th></tr></thead>
  <tbody>${data.map(
    (e) => html`<tr>
    <td class="muted">${timeTag(e.at)}</td>
    <td><code>${e.event}</code></td>
    <td>${e.actorId === null ? html`<span class="muted">—</span>` : html`<a href="/users/${e.actorId}">${actors.get(e.actorId) ?? `#${e.actorId}`}</a>`}</td>
    <td>${e.subject}</td>
    <td>${e.ip}</td>
    <td>${e.details ? html`<code>${JSON.stringify(e.details)}</code>` : ''}</td>
  </tr>`,
  )}</tbody>
</table>`}
${nextPageLink('/audit', next, { event, limit: limit === 25 ? undefined : String(limit) })}`;
    return ctx.page(request, reply, { title: 'Audit log', body });
  });

  /** Emails of the actors on this page (one lookup per distinct actor). */
  async function actorNames(ids: readonly (number | null)[]): Promise<Map<number, string>> {
    const unique = [...new Set(ids.filter((id): id is number => id !== null))];
    const users = await Promise.all(unique.map((id) => ctx.services.users.find(id)));
    return new Map(users.filter((u) => u !== undefined).map((u) => [u.id, u.email]));
  }
}
