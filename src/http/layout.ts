import type { Principal } from '../auth/rbac.ts';
import { html, type SafeHtml } from './html.ts';

export interface NavApp {
  readonly name: string;
  readonly title: string;
  readonly url: string;
}

export interface LayoutInput {
  readonly title: string;
  readonly body: SafeHtml;
  readonly app: string | undefined;
  readonly apps: readonly NavApp[];
  readonly user: Principal | undefined;
  readonly csrfToken: string | undefined;
  readonly signInUrl: string;
}

/** The page shell every app shares: app switcher, who is signed in, sign-out. */
export function layout(input: LayoutInput): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · Marg</title>
<link rel="stylesheet" href="/assets/marg.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/">Marg</a>
  <nav class="apps">${input.apps.map(
    (a) => html`<a href="${a.url}"${a.name === input.app ? html` aria-current="page"` : ''}>${a.title}</a>`,
  )}</nav>
  <div class="who">${
    input.user
      ? html`<span class="user">${input.user.name}</span>
    <form method="post" action="/signout" class="inline"><input type="hidden" name="_csrf" value="${input.csrfToken}"><button type="submit" class="link">Sign out</button></form>`
      : html`<a href="${input.signInUrl}">Sign in</a>`
  }</div>
</header>
<main>
${input.body}
</main>
</body>
</html>`;
}

/** A standalone error page (no session lookups: it must render even when things are broken). */
export function errorPage(status: number, title: string, message: string, extra?: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status} ${title} · Marg</title><link rel="stylesheet" href="/assets/marg.css"></head>
<body><main class="error"><h1><span class="status">${status}</span> ${title}</h1><p>${message}</p>${extra}</main></body>
</html>`;
}
