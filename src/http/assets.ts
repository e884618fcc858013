import type { MargFastify } from '../platform/app-module.ts';

// One small stylesheet, served from memory on every host: pages need no build step.
const STYLESHEET = `
:root { --fg:#1d2430; --muted:#5b6577; --line:#d9dee7; --bg:#f6f7f9; --accent:#2456d3; --danger:#b42318; --ok:#067647; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); }
header.top { display:flex; align-items:center; gap:1.5rem; padding:.6rem 1.5rem; background:#fff; border-bottom:1px solid var(--line); }
.brand { font-weight:700; text-decoration:none; color:var(--fg); }
nav.apps { display:flex; gap:1rem; flex:1; }
nav.apps a { text-decoration:none; color:var(--muted); padding:.2rem .4rem; border-radius:4px; }
nav.apps a[aria-current] { color:var(--fg); background:var(--bg); font-weight:600; }
.who { display:flex; gap:.75rem; align-items:center; }
main { max-width:960px; margin:1.5rem auto; padding:0 1.5rem; }
h1 { font-size:1.5rem; margin:.2rem 0 1rem; }
h2 { font-size:1.15rem; margin:1.5rem 0 .5rem; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:.8rem; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
form.card, .card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin:0 0 1rem; }
form.inline { display:inline; margin:0; }
label { display:block; margin:.4rem 0 .2rem; font-weight:600; font-size:.9rem; }
input, select, textarea { font:inherit; padding:.35rem .5rem; border:1px solid var(--line); border-radius:4px; width:100%; max-width:28rem; background:#fff; }
input[type=checkbox] { width:auto; }
button { font:inherit; padding:.35rem .9rem; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:4px; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
button.danger { background:#fff; color:var(--danger); border-color:var(--danger); }
button.link { background:none; border:none; color:var(--accent); padding:0; text-decoration:underline; }
.row { display:flex; gap:.5rem; align-items:end; flex-wrap:wrap; }
.row > * { flex:0 1 auto; }
.muted { color:var(--muted); }
.flash { padding:.6rem .8rem; border-radius:4px; margin:0 0 1rem; background:#ecfdf3; color:var(--ok); border:1px solid #abefc6; }
.flash.error { background:#fef3f2; color:var(--danger); border-color:#fecdca; }
.badge { display:inline-block; font-size:.78rem; padding:0 .45rem; border-radius:999px; border:1px solid var(--line); background:#fff; }
.status-todo { color:var(--muted); } .status-doing { color:var(--accent); } .status-done { color:var(--ok); }
main.error { text-align:center; margin-top:5rem; }
main.error .status { color:var(--muted); }
code { background:#eef1f5; padding:0 .25rem; border-radius:3px; }
`;

export async function assetRoutes(app: MargFastify): Promise<void> {
  app.get('/assets/marg.css', async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET);
  });
}
