import type { MargFastify } from '../platform/app-module.ts';

// One small stylesheet, script and icon, served from memory on every host: pages need no build step.
const STYLESHEET = `
:root { --fg:#1d2430; --muted:#5b6577; --line:#d9dee7; --bg:#f6f7f9; --accent:#2456d3; --danger:#b42318; --ok:#067647; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust:100%; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); overflow-wrap:break-word; }
a { color:var(--accent); }
.skip { position:absolute; left:-999px; top:0; background:#fff; padding:.4rem .8rem; z-index:10; }
.skip:focus { left:.5rem; }
header.top { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1.5rem; padding:.6rem 1.5rem; background:#fff; border-bottom:1px solid var(--line); }
.brand { display:inline-flex; align-items:center; gap:.4rem; font-weight:700; text-decoration:none; color:var(--fg); }
nav.apps { display:flex; gap:.5rem; flex:1; min-width:0; overflow-x:auto; }
nav.apps a { text-decoration:none; color:var(--muted); padding:.2rem .5rem; border-radius:4px; white-space:nowrap; }
nav.apps a[aria-current] { color:var(--fg); background:var(--bg); font-weight:600; }
.who { display:flex; gap:.75rem; align-items:center; min-width:0; }
.me { display:inline-flex; align-items:center; gap:.45rem; text-decoration:none; color:var(--fg); min-width:0; }
.me .name { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:14rem; }
img.avatar { width:28px; height:28px; border-radius:50%; object-fit:cover; background:var(--bg); flex:none; }
img.avatar.big { width:56px; height:56px; }
main { max-width:960px; margin:1.5rem auto; padding:0 1.5rem; }
h1 { font-size:1.5rem; margin:.2rem 0 1rem; }
h2 { font-size:1.15rem; margin:1.5rem 0 .5rem; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
/* A long URL in a cell wraps inside its column instead of widening the table past the page. */
td a, td code { overflow-wrap:anywhere; }
td button, td select { white-space:nowrap; }
td.nowrap, time { overflow-wrap:normal; }
td.nowrap { white-space:nowrap; }
th { font-size:.8rem; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); overflow-wrap:normal; }
.table-wrap { overflow-x:auto; max-width:100%; }
.table-wrap > table { min-width:32rem; }
form.card, .card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin:0 0 1rem; }
form.inline { display:inline; margin:0; }
label { display:block; margin:.4rem 0 .2rem; font-weight:600; font-size:.9rem; }
fieldset { border:1px solid var(--line); border-radius:4px; margin:.5rem 0; padding:.3rem .8rem .6rem; }
fieldset label { display:flex; gap:.4rem; align-items:center; font-weight:400; }
input, select, textarea { font:inherit; padding:.35rem .5rem; border:1px solid var(--line); border-radius:4px; width:100%; max-width:28rem; background:#fff; }
input[type=checkbox], input[type=radio] { width:auto; }
button { font:inherit; padding:.35rem .9rem; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:4px; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
button.danger { background:#fff; color:var(--danger); border-color:var(--danger); }
button.link { background:none; border:none; color:var(--accent); padding:0; text-decoration:underline; }
:focus-visible { outline:2px solid var(--accent); outline-offset:2px; }
.row { display:flex; gap:.5rem; align-items:end; flex-wrap:wrap; }
.row > * { flex:0 1 auto; }
.muted { color:var(--muted); }
.flash { padding:.6rem .8rem; border-radius:4px; margin:0 0 1rem; background:#ecfdf3; color:var(--ok); border:1px solid #abefc6; }
.flash.error { background:#fef3f2; color:var(--danger); border-color:#fecdca; }
.badge { display:inline-block; font-size:.78rem; padding:0 .45rem; border-radius:999px; border:1px solid var(--line); background:#fff; }
.status-todo { color:var(--muted); } .status-doing { color:var(--accent); } .status-done { color:var(--ok); }
.secret { display:block; padding:.5rem; background:#eef1f5; border-radius:4px; font-family:ui-monospace, monospace; word-break:break-all; user-select:all; }
main.error { text-align:center; margin-top:4rem; }
main.error .status { color:var(--muted); }
main.error .ways { display:flex; gap:1rem; justify-content:center; flex-wrap:wrap; align-items:center; }
code { background:#eef1f5; padding:0 .25rem; border-radius:3px; overflow-wrap:anywhere; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
.crumbs { margin:0; }
.card > h2:first-child, .card > summary + form > h2:first-child { margin-top:0; }
.api-op table { margin:.5rem 0; } .api-op caption { text-align:left; font-weight:600; padding:.3rem 0; }
.api-op h2 code { background:none; padding:0; }
.title-row { display:flex; justify-content:space-between; align-items:baseline; gap:1rem; }
label.check { display:flex; gap:.5rem; align-items:center; font-weight:400; }
.meta { display:flex; flex-wrap:wrap; gap:.3rem .6rem; align-items:center; }
dl.fields { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1rem; margin:0; }
dl.fields dt { font-weight:600; } dl.fields dd { margin:0; }
.description { white-space:pre-wrap; }
ul.files { margin:0 0 .75rem; padding-left:1.2rem; }
ol.activity { margin:0; padding:0; list-style:none; }
ul.files li, ol.activity li { margin:.25rem 0; }
a.button { display:inline-block; padding:.35rem .9rem; border:1px solid var(--accent); border-radius:4px; text-decoration:none; }
a.button.danger { color:var(--danger); border-color:var(--danger); background:#fff; }
.danger-link, button.link.danger-link { color:var(--danger); }
nav.pager { display:flex; justify-content:space-between; align-items:center; margin:1rem 0; gap:1rem; }
details.create > summary { cursor:pointer; font-weight:600; }
details.create[open] > summary { margin-bottom:.5rem; }
.filters > div { flex:1 1 9rem; }
form.status-form { display:flex; gap:.3rem; align-items:center; flex-wrap:wrap; margin:0; }
form.status-form select { width:auto; padding:.15rem .3rem; }
.js form[data-autosubmit] button[type=submit] { display:none; }
.saved { font-size:.8rem; color:var(--ok); }
.saved.failed { color:var(--danger); }
button.small { padding:.15rem .5rem; font-size:.85rem; }
table.tasks td.title { min-width:10rem; }
.copy-row { display:flex; gap:.5rem; align-items:center; flex-wrap:wrap; }
.copy-row code { font-size:1rem; }
.link-grid { display:grid; grid-template-columns:1fr; gap:1rem; }
.qr svg { width:176px; height:176px; display:block; background:#fff; }
.chart { width:100%; min-height:220px; }
.chart-table { margin-top:.5rem; }
.range { display:flex; gap:.75rem; }
.range a[aria-current] { font-weight:700; color:var(--fg); text-decoration:none; }
@media (min-width: 760px) { .link-grid { grid-template-columns:1fr auto; } }
@media (max-width: 640px) {
  header.top { padding:.5rem .75rem; gap:.4rem .75rem; }
  nav.apps { order:3; flex-basis:100%; padding-bottom:.1rem; }
  .who { margin-left:auto; }
  .me .name { max-width:8rem; }
  main { padding:0 .75rem; margin-top:1rem; }
  /* On a phone a table scrolls sideways inside itself; its cells keep readable widths. */
  table { display:block; overflow-x:auto; max-width:100%; }
  td a, td code { overflow-wrap:break-word; }
  td { min-width:4.5rem; }
  .table-wrap > table { display:table; }
  /* The task list becomes one card per task: title on top, status, assignee and due below it. */
  .tasks-wrap > table.tasks { display:block; min-width:0; border:none; background:none; }
  table.tasks thead { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
  table.tasks tbody { display:block; }
  table.tasks tr { display:flex; flex-wrap:wrap; gap:.2rem .75rem; align-items:center; background:#fff; border:1px solid var(--line); border-radius:6px; margin:0 0 .5rem; padding:.5rem .6rem; }
  table.tasks td { display:block; border:none; padding:0; min-width:0; }
  table.tasks td.title { flex-basis:100%; }
}
`;

// Enhancements only: every page works without it.
const SCRIPT = `
(() => {
  // Dates in the reader's locale and time zone; the server writes UTC as the fallback text.
  const formats = {
    date: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }),
    datetime: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
  };
  for (const el of document.querySelectorAll('time[datetime]')) {
    const at = new Date(el.getAttribute('datetime'));
    if (Number.isNaN(at.getTime())) continue;
    el.title = at.toISOString();
    el.textContent = (formats[el.dataset.format] || formats.datetime).format(at);
  }
  // <form data-confirm="Delete this?">: asks before it is sent.
  document.addEventListener('submit', (event) => {
    const question = event.target instanceof HTMLFormElement ? event.target.dataset.confirm : undefined;
    if (question && !window.confirm(question)) event.preventDefault();
  });
 // A region that scrolls sideways (a wide table on a phone) takes keyboard focus, so it can be scrolled without a pointer.
  for (const el of document.querySelectorAll('.table-wrap, main table')) {
    if (el.scrollWidth > el.clientWidth && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '0');
  }
  document.documentElement.classList.add('js');
  const csrfField = document.querySelector('input[name="_csrf"]');
  // Status selects send themselves on change and say whether it was saved (the button does it without a script).
  for (const form of document.querySelectorAll('form[data-autosubmit]')) {
    const select = form.querySelector('select');
    const saved = form.querySelector('.saved');
    if (!select) continue;
    select.addEventListener('change', async () => {
      if (saved) { saved.textContent = 'Saving…'; saved.classList.remove('failed'); }
      try {
        const response = await fetch(form.action, {
          method: 'POST', credentials: 'same-origin', redirect: 'follow',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrfField ? csrfField.value : '' },
          body: new URLSearchParams(new FormData(form)),
        });
        if (!response.ok) throw new Error(String(response.status));
        select.className = 'status-' + select.value;
        if (saved) saved.textContent = 'Saved';
      } catch {
        if (saved) { saved.textContent = 'Not saved: reload the page'; saved.classList.add('failed'); }
      }
    });
  }
  // [data-copy] buttons put their text on the clipboard; they are hidden until this script shows them.
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Copy failed: select the text';
      }
      setTimeout(() => (button.textContent = 'Copy'), 2000);
    });
  }
  // Error pages: "Go back" where there is somewhere to go back to.
  for (const button of document.querySelectorAll('[data-back]')) {
    if (window.history.length < 2) continue;
    button.hidden = false;
    button.addEventListener('click', () => window.history.back());
  }
})();
`;

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2456d3"/><path d="M8 23V9h3l5 7 5-7h3v14h-3v-9l-5 7-5-7v9z" fill="#fff"/></svg>`;

export async function assetRoutes(app: MargFastify): Promise<void> {
  const send = (type: string, body: string) => async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('cache-control', 'public, max-age=3600').type(type).send(body);
  app.get('/assets/marg.css', send('text/css; charset=utf-8', STYLESHEET));
  app.get('/assets/marg.js', send('text/javascript; charset=utf-8', SCRIPT));
  app.get('/assets/favicon.svg', send('image/svg+xml', FAVICON));
  // Browsers ask for /favicon.ico whatever the page says: the same icon, not a 404 per page.
  app.get('/favicon.ico', send('image/svg+xml', FAVICON));
}
