import { html, type SafeHtml } from '../../src/http/html.ts';
import { timeTag } from '../../src/http/time.ts';
import type { Link } from './links-store.ts';

export const CHART_RANGES = [30, 90] as const;
export type ChartRange = (typeof CHART_RANGES)[number];

export interface LinkPageView {
  readonly link: Link;
  readonly shortUrl: string;
  /** The QR code's markup (qr-code.ts: made by the qrcode library from the URL, no user text in it). */
  readonly qrSvg: SafeHtml;
  readonly ownerName: string;
  /** One entry per day of the range, oldest first, zero-filled. */
  readonly days: readonly { readonly day: string; readonly clicks: number }[];
  readonly range: ChartRange;
  readonly csrf: string;
  readonly mayUpdate: boolean;
  readonly mayDelete: boolean;
  readonly flash?: string | undefined;
  readonly form?: { readonly values: { url: string; slug: string; title: string }; readonly error: string; readonly fields: Readonly<Record<string, string>> } | undefined;
}

/** One link: its short URL (copy, QR), clicks per day (chart and table), the edit form, delete. */
export function linkPage(view: LinkPageView): SafeHtml {
  const { link } = view;
  const total = view.days.reduce((sum, d) => sum + d.clicks, 0);
  return html`<p class="crumbs"><a href="/">← All links</a></p>
<h1>${link.title ?? link.slug}</h1>
${view.flash ? html`<p class="flash" role="status">${view.flash}</p>` : ''}
<div class="link-grid">
  <section class="card" aria-labelledby="short-h">
    <h2 id="short-h">Short link</h2>
    <p class="copy-row"><code id="short-url">${view.shortUrl}</code> <button type="button" class="secondary small" data-copy="${view.shortUrl}" hidden>Copy</button></p>
    <p>Goes to <a href="${link.url}" rel="noopener noreferrer">${link.url}</a></p>
    <p class="muted">${link.clicks} click${link.clicks === 1 ? '' : 's'} in all · created by ${view.ownerName} ${timeTag(link.createdAt)} · updated ${timeTag(link.updatedAt)}</p>
  </section>
  <figure class="card qr" aria-labelledby="qr-caption">
    ${view.qrSvg}
    <figcaption id="qr-caption" class="muted">QR code for ${view.shortUrl}</figcaption>
  </figure>
</div>
<section class="card" aria-labelledby="clicks-h" id="clicks">
  <h2 id="clicks-h">Clicks per day</h2>
  <nav class="range" aria-label="Chart range">${CHART_RANGES.map(
    (days) => html`<a href="?days=${days}#clicks"${days === view.range ? html` aria-current="true"` : ''}>Last ${days} days</a>`,
  )}</nav>
  <p class="muted">${total} click${total === 1 ? '' : 's'} in the last ${view.range} days (counted within a second or so; days in UTC).</p>
  <div class="chart" data-chart data-label="Clicks" data-labels="${JSON.stringify(view.days.map((d) => d.day))}" data-values="${JSON.stringify(view.days.map((d) => d.clicks))}" aria-hidden="true"></div>
  <details class="chart-table"><summary>As a table</summary>
  <div class="table-wrap"><table><thead><tr><th scope="col">Day</th><th scope="col">Clicks</th></tr></thead><tbody>${[...view.days].reverse().filter((d) => d.clicks > 0).map(
    (d) => html`<tr><td>${d.day}</td><td>${d.clicks}</td></tr>`,
  )}</tbody></table></div></details>
</section>
${view.mayUpdate ? editForm(view) : ''}
${
  view.mayDelete
    ? html`<form method="post" action="/links/${link.id}/delete" data-confirm="Delete the short link ${view.shortUrl}? It stops redirecting at once.">
  <input type="hidden" name="_csrf" value="${view.csrf}"><button type="submit" class="danger">Delete this link</button></form>`
    : ''
}`;
}

function editForm(view: LinkPageView): SafeHtml {
  const values = view.form?.values ?? { url: view.link.url, slug: view.link.slug, title: view.link.title ?? '' };
  const fields = view.form?.fields ?? {};
  const problem = (name: string) => (fields[name] ? html`<p class="flash error" role="alert">${fields[name]}</p>` : '');
  return html`<form method="post" action="/links/${view.link.id}" class="card" id="edit-link">
  <h2>Edit</h2>
  ${view.form ? html`<p class="flash error" role="alert">${view.form.error}</p>` : ''}
  <input type="hidden" name="_csrf" value="${view.csrf}">
  <label for="edit-url">Target URL</label>
  <input id="edit-url" name="url" type="url" required maxlength="2048" value="${values.url}">${problem('url')}
  <label for="edit-slug">Short name</label>
  <input id="edit-slug" name="slug" required maxlength="64" pattern="[A-Za-z0-9_\\-]{1,64}" value="${values.slug}">${problem('slug')}
  <label for="edit-title">Title <span class="muted">(optional)</span></label>
  <input id="edit-title" name="title" maxlength="200" value="${values.title}">${problem('title')}
  <p><button type="submit">Save changes</button></p>
</form>`;
}
