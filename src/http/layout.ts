import type { Principal } from '../auth/rbac.ts';
import { html, type SafeHtml } from './html.ts';

export interface NavApp {
  readonly name: string;
  readonly title: string;
  readonly url: string;
}

/** Extra scripts and stylesheets one page needs (a chart), served by Marg itself: the CSP allows only 'self'. */
export interface PageAssets {
  readonly scripts?: readonly string[];
  readonly styles?: readonly string[];
}

export interface LayoutInput {
  readonly title: string;
  readonly body: SafeHtml;
  readonly app: string | undefined;
  /** The apps the header links to (the ones the user may see). */
  readonly apps: readonly NavApp[];
  readonly user: Principal | undefined;
  readonly csrfToken: string | undefined;
  /** Undefined on the sign-in page itself (no link to where one is). */
  readonly signInUrl: string | undefined;
  /** The user's avatar (an image URL), shown with their name. */
  readonly avatarUrl?: string | undefined;
  /** Where the user's name links to (their account page). */
  readonly accountUrl?: string | undefined;
  /** An extra class on <main> (error pages). */
  readonly mainClass?: string;
  /** Where the page's live script connects (src/http/live-assets.ts); set on pages with `[data-live-channel]` elements. */
  readonly assets?: PageAssets;
  readonly live?: { readonly key: string; readonly host: string; readonly port: number | undefined; readonly scheme: string };
}

/**
 * The page shell every app shares: the brand, the app switcher (the apps the user may see),
 * the user's avatar and name, sign-out. At phone width the switcher takes a row of its own
 * and scrolls sideways inside it; the page itself never gets wider than the screen.
 */
export function layout(input: LayoutInput): SafeHtml {
  const current = input.apps.find((a) => a.name === input.app);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · ${current ? html`${current.title} · ` : ''}Marg</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/marg.css">
<script src="/assets/marg.js" defer></script>
${(input.assets?.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">\n`)}${(input.assets?.scripts ?? []).map((src) => html`<script src="${src}" defer></script>\n`)}${input.live
  ? html`<meta name="marg-realtime" content="${JSON.stringify(input.live)}">
<meta name="csrf-token" content="${input.csrfToken}">
<script src="/assets/pusher.min.js" defer></script>
<script src="/assets/live.js" defer></script>`
  : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${current?.url ?? '/'}"><img src="/assets/favicon.svg" alt="" width="22" height="22"> Marg</a>
  <nav class="apps" aria-label="Apps">${input.apps.map(
    (a) => html`<a href="${a.url}"${a.name === input.app ? html` aria-current="page"` : ''}>${a.title}</a>`,
  )}</nav>
  <div class="who">${
    input.user
      ? html`<a class="me" href="${input.accountUrl ?? '/'}" title="${input.user.email}">${input.avatarUrl ? html`<img class="avatar" src="${input.avatarUrl}" alt="" width="28" height="28">` : ''}<span class="name">${input.user.name}</span></a>
    <form method="post" action="/signout" class="inline"><input type="hidden" name="_csrf" value="${input.csrfToken}"><button type="submit" class="link">Sign out</button></form>`
      : input.signInUrl
        ? html`<a href="${input.signInUrl}">Sign in</a>`
        : ''
  }</div>
</header>
<main id="main"${input.mainClass ? html` class="${input.mainClass}"` : ''}>
${input.body}
</main>
</body>
</html>`;
}

export interface ErrorPageInput {
  readonly status: number;
  readonly title: string;
  readonly message: string;
  readonly extra?: SafeHtml | undefined;
  /** The shell around it; without one (before routing, an unknown host) the page has the brand only. */
  readonly shell?: Omit<LayoutInput, 'title' | 'body' | 'mainClass'> | undefined;
  /** Links out of the dead end: the app's home, sign-in, … */
  readonly ways?: readonly { readonly href: string; readonly label: string }[] | undefined;
}

/** An error page inside the shell, with a way back. */
export function errorPage(input: ErrorPageInput): SafeHtml {
  const ways = input.ways ?? [];
  const body = html`<h1><span class="status">${input.status}</span> ${input.title}</h1>
<p>${input.message}</p>${input.extra}
<p class="ways">${ways.map((w) => html`<a href="${w.href}">${w.label}</a> `)}<button type="button" class="secondary" data-back hidden>Go back</button></p>`;
  const shell = input.shell ?? { app: undefined, apps: [], user: undefined, csrfToken: undefined, signInUrl: undefined };
  return layout({ ...shell, title: `${input.status} ${input.title}`, body, mainClass: 'error' });
}
