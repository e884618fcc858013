import { html, type SafeHtml } from '../../src/http/html.ts';
import { timeTag } from '../../src/http/time.ts';
import type { FailedJob, QueueCounts } from '../../src/queue/contract.ts';
import type { ExceptionRow, NodeRow, SlowRow } from './telemetry-view.ts';

/** One line chart: what /static/ops.js draws with uPlot from the page's JSON block. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  /** Unix seconds. */
  readonly x: readonly number[];
  readonly series: readonly { readonly label: string; readonly values: readonly number[] }[];
}

const TABS = [
  ['/', 'Overview'],
  ['/queues', 'Queues'],
  ['/schedule', 'Schedule'],
  ['/insights', 'Slow & exceptions'],
  ['/services', 'Search, realtime, backups'],
  ['/maintenance', 'Maintenance'],
] as const;

/**
 * The frame of every ops page: its tabs, the flash, and a `#ops-live` region that
 * /static/ops.js fetches again every few seconds (`poll`) and redraws, charts included.
 */
export function opsFrame(input: { path: string; title: string; flash?: string | undefined; poll: boolean; body: SafeHtml; charts?: readonly ChartSpec[] }): SafeHtml {
  return html`<link rel="stylesheet" href="/assets/uplot.min.css"><link rel="stylesheet" href="/static/ops.css">
<script src="/assets/uplot.min.js" defer></script><script src="/static/ops.js" defer></script>
<nav class="ops-tabs" aria-label="Ops pages">${TABS.map(([href, label]) => html`<a href="${href}"${href === input.path ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
<h1>${input.title}</h1>
${input.flash ? html`<p class="flash" role="status">${input.flash}</p>` : ''}
<div id="ops-live"${input.poll ? html` data-poll="5000"` : ''}>
${input.charts ? html`<div class="ops-charts" hidden data-charts="${JSON.stringify(input.charts)}"></div>` : ''}
${input.body}
</div>`;
}

export function chartGrid(charts: readonly ChartSpec[]): SafeHtml {
  return html`<div class="charts">${charts.map((c) => html`<figure class="chart card"><figcaption>${c.title} <span class="muted">(${c.unit})</span></figcaption><div class="plot" data-chart="${c.id}"></div></figure>`)}</div>`;
}

export function overviewView(view: { nodes: readonly NodeRow[]; driver: string; charts: readonly ChartSpec[] }): SafeHtml {
  return html`<h2>Nodes</h2>
<p class="muted">Heartbeats every few seconds to the ${view.driver === 'redis' ? 'Redis' : 'platform database'} store; a node that misses three turns red.</p>
${view.nodes.length === 0 ? html`<p class="muted">No node has reported yet.</p>` : html`<div class="table-wrap"><table id="nodes">
<thead><tr><th>Node</th><th>Status</th><th>Roles</th><th>Version</th><th>Uptime</th><th>RSS</th><th>Loop delay</th><th>Last heartbeat</th></tr></thead>
<tbody>${view.nodes.map(
  (n) => html`<tr class="${n.missing ? 'node-missing' : 'node-up'}" data-node="${n.node}">
<td>${n.name ? html`<strong>${n.name}</strong> ` : ''}<code>${n.node}</code></td>
<td><span class="badge ${n.missing ? 'bad' : 'good'}">${n.missing ? 'missing' : 'up'}</span></td>
<td>${n.roles.join(', ')}</td><td>${n.version}</td>
<td class="nowrap">${duration(n.uptimeMs)}</td><td class="nowrap">${megabytes(n.rssBytes)}</td><td class="nowrap">${n.loopDelayMs} ms</td>
<td class="nowrap">${duration(n.sinceBeatMs)} ago</td></tr>`,
)}</tbody></table></div>`}
<h2>The last hour</h2>
${chartGrid(view.charts)}`;
}

export interface QueuesView {
  readonly csrfToken: string;
  readonly canAct: boolean;
  readonly driver: string;
  readonly counts: readonly QueueCounts[];
  readonly failed: readonly FailedJob[];
  readonly charts: readonly ChartSpec[];
}

export function queuesView(view: QueuesView): SafeHtml {
  const csrf = html`<input type="hidden" name="_csrf" value="${view.csrfToken}">`;
  return html`<p class="muted">Driver: ${view.driver}.</p>
<div class="table-wrap"><table id="queue-counts"><thead><tr><th>Queue</th><th>Waiting</th><th>Running</th><th>Delayed</th><th>Failed</th><th>Done last minute</th></tr></thead>
<tbody>${view.counts.length === 0 ? html`<tr><td colspan="6" class="muted">No queue has held a job yet.</td></tr>` : view.counts.map((q) => html`<tr><td>${q.queue}</td><td>${q.waiting}</td><td>${q.running}</td><td>${q.delayed}</td><td>${q.failed}</td><td>${q.perMinute}</td></tr>`)}</tbody></table></div>
${view.charts.length > 0 ? html`<h2>The last hour</h2>${chartGrid(view.charts)}` : ''}
<div class="row"><h2>Failed jobs</h2>${view.canAct && view.failed.length > 0 ? html`<form method="post" action="/queues/failed/retry-all" class="inline">${csrf}<button type="submit" class="secondary">Retry all</button></form>` : ''}</div>
${view.failed.length === 0 ? html`<p class="muted" id="no-failed">No failed jobs.</p>` : html`<ul class="failed" id="failed-jobs">${view.failed.map(
  (job) => html`<li class="card" data-job="${job.id}">
<div class="row"><strong>${job.name}</strong> <span class="muted">on ${job.queue}, ${job.attempts} ${job.attempts === 1 ? 'attempt' : 'attempts'}, failed ${timeTag(job.failedAt)}</span></div>
<p class="error-text">${job.error.split('\n', 1)[0]}</p>
<details><summary>Payload and exception</summary><pre>${clip(JSON.stringify(job.payload, null, 2), 4000)}</pre><pre>${clip(job.error, 4000)}</pre></details>
${view.canAct ? html`<div class="row actions">
<form method="post" action="/queues/failed/${encodeURIComponent(job.id)}/retry" class="inline">${csrf}<button type="submit">Retry</button></form>
<form method="post" action="/queues/failed/${encodeURIComponent(job.id)}/forget" class="inline">${csrf}<button type="submit" class="danger">Forget</button></form></div>` : ''}
</li>`,
)}</ul>`}`;
}

export interface TaskRow {
  readonly name: string;
  readonly cron: string;
  readonly description: string;
  readonly next: string | undefined;
  readonly last: { readonly tick: string; readonly status: string; readonly node: string; readonly durationMs: number | undefined; readonly error: string | null } | undefined;
}

export function scheduleView(view: { csrfToken: string; canAct: boolean; tasks: readonly TaskRow[] }): SafeHtml {
  return html`<div class="table-wrap"><table id="tasks"><thead><tr><th>Task</th><th>Cron</th><th>Last run</th><th>Outcome</th><th>Duration</th><th>Node</th><th>Next run</th>${view.canAct ? html`<th></th>` : ''}</tr></thead>
<tbody>${view.tasks.map(
  (t) => html`<tr data-task="${t.name}"><td><strong>${t.name}</strong><br><span class="muted">${t.description}</span></td><td><code>${t.cron}</code></td>
<td>${t.last ? timeTag(t.last.tick) : html`<span class="muted">never</span>`}</td>
<td>${t.last ? html`<span class="badge ${t.last.status === 'ok' ? 'good' : t.last.status === 'failed' ? 'bad' : ''}" title="${t.last.error ?? ''}">${t.last.status}</span>` : ''}</td>
<td class="nowrap">${t.last?.durationMs === undefined ? '' : `${t.last.durationMs} ms`}</td>
<td>${t.last ? html`<code>${t.last.node}</code>` : ''}</td>
<td>${timeTag(t.next)}</td>
${view.canAct ? html`<td><form method="post" action="/schedule/run" class="inline"><input type="hidden" name="_csrf" value="${view.csrfToken}"><input type="hidden" name="task" value="${t.name}"><button type="submit" class="secondary">Run now</button></form></td>` : ''}</tr>`,
)}</tbody></table></div>`;
}

export function insightsView(view: { routes: readonly SlowRow[]; jobs: readonly SlowRow[]; exceptions: readonly ExceptionRow[] }): SafeHtml {
  return html`<h2>Slowest routes</h2><p class="muted">The last hour, by 95th percentile (bucketed: 5, 10, 25, 50, 100, 250, 500 ms …).</p>
${view.routes.length === 0 ? html`<p class="muted">No requests yet.</p>` : html`<div class="table-wrap"><table id="slow-routes"><thead><tr><th>Route</th><th>Requests</th><th>p95</th><th>Max</th><th>Average</th><th>5xx</th></tr></thead>
<tbody>${view.routes.map((r) => html`<tr><td><code>${r.name}</code></td><td>${r.count}</td><td class="nowrap">≤ ${r.p95Ms} ms</td><td class="nowrap">${r.maxMs} ms</td><td class="nowrap">${r.avgMs} ms</td><td>${r.errors}</td></tr>`)}</tbody></table></div>`}
<h2>Slowest jobs</h2>
${view.jobs.length === 0 ? html`<p class="muted">No jobs ran in the last hour.</p>` : html`<div class="table-wrap"><table id="slow-jobs"><thead><tr><th>Job</th><th>Deliveries</th><th>Max</th><th>Average</th><th>Failed or retried</th></tr></thead>
<tbody>${view.jobs.map((j) => html`<tr><td><code>${j.name}</code></td><td>${j.count}</td><td class="nowrap">${j.maxMs} ms</td><td class="nowrap">${j.avgMs} ms</td><td>${j.errors}</td></tr>`)}</tbody></table></div>`}
<h2>Exceptions</h2><p class="muted">The last 24 hours, grouped by type and place.</p>
${view.exceptions.length === 0 ? html`<p class="muted">None.</p>` : html`<div class="table-wrap"><table id="exceptions"><thead><tr><th>Type</th><th>Where</th><th>Count</th><th>Last</th><th>Latest message</th></tr></thead>
<tbody>${view.exceptions.map((e) => html`<tr><td><code>${e.type}</code></td><td><code>${e.place}</code></td><td>${e.count}</td><td>${timeTag(e.lastSeen)}</td><td>${e.message}</td></tr>`)}</tbody></table></div>`}`;
}

export interface ServicesView {
  readonly search: { readonly driver: string; readonly indexes: readonly { name: string; documents: number | undefined }[] };
  readonly realtime: { readonly configured: boolean; readonly host: string; readonly driver: string; readonly nodes: readonly { node: string; connections: number; subscriptions: number }[]; readonly messagesPerSecond: number };
  readonly backups: { readonly path: string; readonly list: readonly { name: string; at: string | undefined; bytes: number | undefined }[] | undefined; readonly error?: string };
}

export function servicesView(view: ServicesView): SafeHtml {
  return html`<h2>Search</h2><p>Driver: <strong>${view.search.driver}</strong>.</p>
${view.search.indexes.length === 0 ? html`<p class="muted">No app declares a search index.</p>` : html`<div class="table-wrap"><table id="search-indexes"><thead><tr><th>Index</th><th>Documents</th></tr></thead>
<tbody>${view.search.indexes.map((i) => html`<tr><td>${i.name}</td><td>${i.documents ?? html`<span class="muted">not built</span>`}</td></tr>`)}</tbody></table></div>`}
<p class="muted">Rebuild with <code>marg search:reindex</code>.</p>
<h2>Realtime</h2>
${view.realtime.configured ? html`<p>Broadcasting through <strong>${view.realtime.driver}</strong>; clients connect to <code>${view.realtime.host}</code>.</p>` : html`<p class="muted">Not configured (REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET).</p>`}
<p>${view.realtime.messagesPerSecond} messages/s sent over the last full minute.</p>
${view.realtime.nodes.length === 0 ? html`<p class="muted">No realtime server is reporting.</p>` : html`<div class="table-wrap"><table id="realtime-nodes"><thead><tr><th>Node</th><th>Connections</th><th>Channel subscriptions</th></tr></thead>
<tbody>${view.realtime.nodes.map((n) => html`<tr><td><code>${n.node}</code></td><td>${n.connections}</td><td>${n.subscriptions}</td></tr>`)}</tbody></table></div>`}
<h2>Backups</h2><p class="muted">In <code>${view.backups.path}</code> (<code>marg backup</code>, <code>marg backup:list</code>).</p>
${view.backups.error ? html`<p class="flash error">${view.backups.error}</p>` : !view.backups.list || view.backups.list.length === 0 ? html`<p class="muted">No backups yet.</p>` : html`<div class="table-wrap"><table id="backups"><thead><tr><th>Backup</th><th>Taken</th><th>Size</th></tr></thead>
<tbody>${view.backups.list.map((b) => html`<tr><td><code>${b.name}</code></td><td>${timeTag(b.at)}</td><td>${b.bytes === undefined ? '' : megabytes(b.bytes)}</td></tr>`)}</tbody></table></div>`}`;
}

export function maintenanceView(view: { csrfToken: string; canAct: boolean; state: { since: string; message?: string | undefined } | undefined }): SafeHtml {
  const csrf = html`<input type="hidden" name="_csrf" value="${view.csrfToken}">`;
  return html`${view.state
    ? html`<p class="flash error" id="maintenance-state">The apps are down for maintenance since ${timeTag(view.state.since)}${view.state.message ? html`: “${view.state.message}”` : ''}. This browser passes with the bypass cookie.</p>`
    : html`<p class="flash" id="maintenance-state">The apps are up.</p>`}
${view.canAct
  ? view.state
    ? html`<form method="post" action="/maintenance" class="card">${csrf}<input type="hidden" name="action" value="up"><button type="submit">Bring the apps back up</button></form>`
    : html`<form method="post" action="/maintenance" class="card">${csrf}<input type="hidden" name="action" value="down">
<label for="message">Message for visitors <span class="muted">(optional)</span></label><input id="message" name="message" maxlength="500">
<p class="muted">Every app answers 503 with this message; this browser gets a bypass cookie, like <code>marg down --with-secret</code>.</p>
<p><button type="submit" class="danger">Take the apps down</button></p></form>`
  : ''}`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
