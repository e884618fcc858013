import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyReply } from 'fastify';
import type { MargFastify } from '../platform/app-module.ts';

/** The scripts and stylesheet a page with a chart loads (layout.ts PageAssets). */
export const CHART_ASSETS = { scripts: ['/assets/uplot.min.js', '/assets/chart.js'], styles: ['/assets/uplot.min.css'] } as const;

/** uPlot's browser build and stylesheet, served from node_modules by Marg itself (no CDN: the CSP allows only 'self'). */
function uplotFile(name: 'uPlot.iife.min.js' | 'uPlot.min.css'): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve(`uplot/dist/${name}`), 'utf8');
}

/**
 * Draws each `[data-chart]` element as a bar chart of its `data-labels` (YYYY-MM-DD days) and
 * `data-values`. The table of the same numbers beside it stays the accessible version; without
 * a script it is all there is. uPlot styles through the DOM (el.style), which the CSP allows.
 */
const CHART_SCRIPT = `(() => {
  if (!window.uPlot) return;
  for (const el of document.querySelectorAll('[data-chart]')) {
    const days = JSON.parse(el.dataset.labels || '[]');
    const values = JSON.parse(el.dataset.values || '[]');
    const xs = days.map((d) => Date.parse(d + 'T00:00:00Z') / 1000);
    const bars = uPlot.paths.bars({ size: [0.7, 24] });
    const make = () => new uPlot({
      width: Math.max(200, el.clientWidth), height: 220, legend: { show: false }, cursor: { y: false },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, max)] } },
      axes: [{ space: 60 }, { size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 10000] }],
      series: [{}, { label: el.dataset.label || 'Clicks', stroke: '#2456d3', fill: 'rgba(36,86,211,0.35)', paths: bars, points: { show: false } }],
    }, [xs, values], el);
    let chart = make();
    let width = el.clientWidth;
    new ResizeObserver(() => {
      if (el.clientWidth === width) return;
      width = el.clientWidth;
      chart.setSize({ width: Math.max(200, width), height: 220 });
    }).observe(el);
    el.dataset.drawn = 'true';
  }
})();
`;

export async function chartAssetRoutes(app: MargFastify): Promise<void> {
  let script: string | undefined;
  let style: string | undefined;
  const cached = (reply: FastifyReply) => reply.header('cache-control', 'public, max-age=3600');
  app.get('/assets/uplot.min.js', async (_request, reply) => cached(reply).type('text/javascript; charset=utf-8').send((script ??= uplotFile('uPlot.iife.min.js'))));
  app.get('/assets/uplot.min.css', async (_request, reply) => cached(reply).type('text/css; charset=utf-8').send((style ??= uplotFile('uPlot.min.css'))));
  app.get('/assets/chart.js', async (_request, reply) => cached(reply).type('text/javascript; charset=utf-8').send(CHART_SCRIPT));
}
