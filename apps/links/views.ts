import { searchBox } from '../../src/search/views.ts';
import { html, type SafeHtml } from '../../src/http/html.ts';
import type { Link } from './links-store.ts';

export interface LinkRow {
  readonly link: Link;
  readonly shortUrl: string;
  readonly owner?: string | undefined;
  readonly deletable: boolean;
}

export interface IndexView {
  readonly csrfToken: string;
  readonly rows: readonly LinkRow[];
  readonly scope: 'me' | 'all';
  readonly showOwners: boolean;
  readonly nextUrl: string | undefined;
  readonly flash: string | undefined;
  /** Present when the user may create links. */
  readonly form: CreateFormState | undefined;
}

export interface CreateFormState {
  readonly values: { url: string; slug: string; title: string };
  readonly error?: string | undefined;
  readonly fields?: Readonly<Record<string, string>> | undefined;
}

/** The links home page: a create form (when allowed), then the list. */
export function indexView(view: IndexView): SafeHtml {
  return html`<h1>Links</h1>
${view.flash ? html`<p class="flash" role="status">${view.flash}</p>` : ''}
${searchBox('/search', '')}
${view.form ? createForm(view.form, view.csrfToken) : ''}
<div class="row"><h2>${view.scope === 'me' ? 'Your links' : 'All links'}</h2>
<a href="/?owner=${view.scope === 'me' ? 'all' : 'me'}">${view.scope === 'me' ? 'Show all links' : 'Show only mine'}</a></div>
${view.rows.length === 0 ? html`<p class="muted">No links yet.</p>` : linkTable(view)}
${view.nextUrl ? html`<p><a href="${view.nextUrl}">Older links →</a></p>` : ''}`;
}

function createForm(state: CreateFormState, csrfToken: string): SafeHtml {
  const fields = state.fields ?? {};
  return html`${state.error ? html`<p class="flash error" role="alert">${state.error}</p>` : ''}
<form method="post" action="/" class="card" id="create-link">
  <input type="hidden" name="_csrf" value="${csrfToken}">
  <label for="url">Target URL</label>
  <input id="url" name="url" type="url" required maxlength="2048" placeholder="https://example.com/page" value="${state.values.url}">
  ${fieldError(fields.url)}
  <label for="slug">Short name <span class="muted">(optional: letters, digits, - and _)</span></label>
  <input id="slug" name="slug" maxlength="64" pattern="[A-Za-z0-9_\\-]{1,64}" value="${state.values.slug}">
  ${fieldError(fields.slug)}
  <label for="title">Title <span class="muted">(optional)</span></label>
  <input id="title" name="title" maxlength="200" value="${state.values.title}">
  ${fieldError(fields.title)}
  <p><button type="submit">Create short link</button></p>
</form>`;
}

function fieldError(message: string | undefined): SafeHtml {
  return message ? html`<p class="muted" role="alert">${message}</p>` : html``;
}

function linkTable(view: IndexView): SafeHtml {
  return html`<table id="links" data-live-channel="private-links.clicks">
<thead><tr><th>Short URL</th><th>Target</th><th>Title</th><th>Clicks</th>${view.showOwners ? html`<th>Owner</th>` : ''}<th></th></tr></thead>
<tbody>${view.rows.map(
    (row) => html`<tr id="link-${row.link.id}">
<td><a href="${row.shortUrl}">${row.shortUrl}</a></td>
<td><a href="${row.link.url}" rel="noopener noreferrer">${row.link.url}</a></td>
<td><a href="/links/${row.link.id}">${row.link.title ?? 'Details'}</a></td>
<td><a href="/links/${row.link.id}#clicks" aria-label="${row.link.clicks} clicks: chart">${row.link.clicks}</a></td>
${view.showOwners ? html`<td>${row.owner}</td>` : ''}
<td>${
      row.deletable
        ? html`<form method="post" action="/links/${row.link.id}/delete" class="inline"><input type="hidden" name="_csrf" value="${view.csrfToken}"><button type="submit" class="danger">Delete</button></form>`
        : ''
    }</td>
</tr>`,
  )}</tbody>
</table>`;
}
