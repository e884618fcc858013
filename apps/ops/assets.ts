import type { MargFastify } from '../../src/platform/app-module.ts';

const OPS_CSS = `
.ops-tabs { display:flex; gap:.25rem; flex-wrap:wrap; margin:0 0 .5rem; }
.ops-tabs a { text-decoration:none; padding:.2rem .6rem; border-radius:4px; color:var(--muted); border:1px solid transparent; }
.ops-tabs a[aria-current] { color:var(--fg); border-color:var(--line); background:#fff; font-weight:600; }
.charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(280px, 1fr)); gap:1rem; }
.chart { margin:0; min-width:0; }
.chart figcaption { font-weight:600; margin:0 0 .4rem; }
.plot { width:100%; min-height:180px; overflow:hidden; }
.badge.good { color:var(--ok); border-color:#abefc6; background:#ecfdf3; }
.badge.bad { color:var(--danger); border-color:#fecdca; background:#fef3f2; }
tr.node-missing td { background:#fef3f2; }
ul.failed { list-style:none; padding:0; margin:0; }
.failed pre { white-space:pre-wrap; overflow-wrap:anywhere; background:#eef1f5; padding:.5rem; border-radius:4px; font-size:.85rem; max-height:20rem; overflow:auto; }
.error-text { color:var(--danger); margin:.3rem 0; overflow-wrap:anywhere; }
.actions { margin-top:.5rem; }
/* Node names and cron patterns read as one token; the table scrolls inside its wrapper instead. */
#nodes td:first-child code, #tasks td:nth-child(2) code { white-space:nowrap; overflow-wrap:normal; }
`;

/**
 * Draws every chart named in `.ops-charts` (uPlot, sized to its box) and, on pages with
 * `[data-poll]`, fetches the page again every few seconds and swaps in the fresh `#ops-live`:
 * the server renders rows, buttons and chart data as for a full load.
 */
const OPS_JS = `(() => {
  const plots = [];
  const draw = () => {
    while (plots.length) plots.pop().destroy();
    const data = document.querySelector('.ops-charts');
    if (!data || !window.uPlot) return;
    for (const spec of JSON.parse(data.getAttribute('data-charts'))) {
      const box = document.querySelector('[data-chart="' + spec.id + '"]');
      if (!box) continue;
      box.replaceChildren();
      const colors = ['#2456d3', '#b42318', '#067647', '#b54708'];
      const opts = {
        width: Math.max(200, box.clientWidth), height: 180, legend: { show: spec.series.length > 1 },
        series: [{}, ...spec.series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 1.5 }))],
        axes: [{}, { size: 50 }],
      };
      plots.push(new window.uPlot(opts, [spec.x, ...spec.series.map((s) => s.values)], box));
    }
  };
  const live = document.getElementById('ops-live');
  const every = live && Number(live.getAttribute('data-poll'));
  if (every) {
    setInterval(async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
        if (!response.ok) return;
        const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('ops-live');
        if (!fresh) return;
        live.replaceChildren(...fresh.childNodes);
        draw();
      } catch {}
    }, every);
  }
  let resized;
  addEventListener('resize', () => { clearTimeout(resized); resized = setTimeout(draw, 150); });
  draw();
})();`;

export async function opsAssets(app: MargFastify): Promise<void> {
  const files: Record<string, { type: string; body: string }> = {
    'ops.js': { type: 'text/javascript; charset=utf-8', body: OPS_JS },
    'ops.css': { type: 'text/css; charset=utf-8', body: OPS_CSS },
  };
  for (const [name, file] of Object.entries(files)) {
    app.get(`/static/${name}`, async (_request, reply) => reply.type(file.type).header('cache-control', 'public, max-age=3600').send(file.body));
  }
}
