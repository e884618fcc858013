import { html, SafeHtml } from '../http/html.ts';

/** One result line of a search page: a link, a title and a snippet whose markup came from highlight.ts (escaped there). */
export interface SearchResultView {
  readonly href: string;
  readonly title: string;
  readonly titleHtml: string | undefined;
  readonly snippetHtml: string | undefined;
  readonly meta: string;
}

/** The search box every app page with an index shows (GET form, so results have a URL). */
export function searchBox(action: string, q: string): SafeHtml {
  return html`<form method="get" action="${action}" role="search" class="card row" id="search">
  <div><label for="search-q">Search</label>
  <input id="search-q" name="q" type="search" maxlength="1000" value="${q}" placeholder="Words, &quot;a phrase&quot;, a prefix…"></div>
  <div><button type="submit">Search</button></div>
</form>`;
}

export function searchResultsPage(action: string, q: string, results: readonly SearchResultView[], nextUrl: string | null): SafeHtml {
  return html`<h1>Search</h1>
${searchBox(action, q)}
<ol id="search-results">
  ${results.length === 0 ? html`<li class="muted">Nothing found.</li>` : ''}
  ${results.map(
    (r) => html`<li><a href="${r.href}">${r.titleHtml === undefined ? r.title : new SafeHtml(r.titleHtml)}</a> <span class="muted">${r.meta}</span>
    ${r.snippetHtml === undefined ? '' : html`<br><small>${new SafeHtml(r.snippetHtml)}</small>`}</li>`,
  )}
</ol>
${nextUrl ? html`<p><a href="${nextUrl}" rel="next">More results →</a></p>` : ''}`;
}
