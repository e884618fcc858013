import { can, type Principal } from '../../src/auth/rbac.ts';
import { html, type SafeHtml } from '../../src/http/html.ts';
import type { RoleInfo } from './role-catalog.ts';

export type Section = 'home' | 'tokens' | 'users' | 'audit';

/** The accounts pages' own navigation; links appear only where the user may go. */
export function accountsNav(user: Principal, current: Section): SafeHtml {
  const links: [Section, string, string][] = [['home', '/', 'Your account'], ['tokens', '/tokens', 'API tokens']];
  if (can(user, 'accounts.users.read')) links.push(['users', '/users', 'Users']);
  if (can(user, 'accounts.audit.read')) links.push(['audit', '/audit', 'Audit log']);
  return html`<nav class="row" aria-label="Accounts">${links.map(
    ([section, href, label]) => html`<a href="${href}"${section === current ? html` aria-current="page"` : ''}>${label}</a>`,
  )}</nav>`;
}

export function flashMessage(message: string | undefined, kind: 'ok' | 'error' = 'ok'): SafeHtml {
  if (!message) return html``;
  return kind === 'error' ? html`<p class="flash error" role="alert">${message}</p>` : html`<p class="flash" role="status">${message}</p>`;
}

/** "Check the fields" with each field's problem, for a form re-rendered with a 4xx. */
export function formProblems(message: string | undefined, fields: Readonly<Record<string, string>> = {}): SafeHtml {
  if (!message) return html``;
  const items = Object.entries(fields).map(([field, problem]) => html`<li><strong>${field}</strong> ${problem}</li>`);
  return html`<div class="flash error" role="alert"><p>${message}</p>${items.length ? html`<ul>${items}</ul>` : ''}</div>`;
}

export function roleBadges(roles: readonly string[]): SafeHtml {
  if (roles.length === 0) return html`<span class="muted">none</span>`;
  return html`${roles.map((r) => html`<span class="badge">${r}</span> `)}`;
}

/** `flow:editor` strings grouped as app → role names. */
export function rolesByApp(roles: readonly string[]): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const ref of roles) {
    const [app, name] = ref.split(':');
    if (!app || !name) continue;
    grouped.set(app, [...(grouped.get(app) ?? []), name]);
  }
  return grouped;
}

export function roleDescription(catalog: readonly RoleInfo[], app: string, name: string): string {
  return catalog.find((r) => r.app === app && r.name === name)?.description ?? '';
}

/** A "Next page" link keeping the other query parameters, when there is a next page. */
export function nextPageLink(path: string, next: string | null, params: Record<string, string | undefined> = {}): SafeHtml {
  if (!next) return html``;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  query.set('cursor', next);
  return html`<p><a href="${`${path}?${query.toString()}`}" rel="next">Next page</a></p>`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}
