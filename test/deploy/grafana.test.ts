import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { margExposedNames, metricNamesIn } from './metric-names.ts';

interface Target {
  readonly expr: string;
  readonly datasource?: { type: string; uid: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type: string; uid: string };
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: Target[];
}
interface Dashboard {
  readonly title: string;
  readonly uid: string;
  readonly panels: Panel[];
  readonly templating: { list: { name: string; type: string; query: unknown }[] };
}

const FILE = resolve(import.meta.dirname, '../../deploy/grafana/marg-dashboard.json');

describe('deploy/grafana/marg-dashboard.json', () => {
  let dashboard: Dashboard;
  let exposed: Set<string>;
  before(async () => {
    dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;
    exposed = await margExposedNames();
  });
  const graphs = () => dashboard.panels.filter((p) => p.type !== 'row');
  const expressions = () => graphs().flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('is a dashboard with a Prometheus data source variable that every panel and query uses', () => {
    assert.equal(dashboard.uid, 'marg-overview');
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.deepEqual(variable && { type: variable.type, query: variable.query }, { type: 'datasource', query: 'prometheus' });
    assert.ok(graphs().length >= 20);
    for (const panel of graphs()) {
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title}: no query`);
      for (const target of panel.targets ?? []) assert.deepEqual(target.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
    }
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of dashboard.panels) assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the 24-column grid`);
  });

  it('queries only metric names that Marg exposes (or Prometheus\'s own `up`), and only its own variables', () => {
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    for (const { panel, expr } of expressions()) {
      const names = metricNamesIn(expr);
      assert.ok(names.size > 0, `${panel}: no metric in ${expr}`);
      for (const name of names) assert.ok(name === 'up' || exposed.has(name), `${panel}: ${name} is not exposed by Marg`);
      for (const [, name] of expr.matchAll(/\$(?!__)(\w+)/g)) assert.ok(variables.has(name!), `${panel}: unknown variable $${name}`);
    }
  });

  it('shows what operators watch: requests, errors, latency, in-flight, DB, cache, queue, scheduler, memory, CPU', () => {
    const all = expressions().map((e) => e.expr).join('\n');
    for (const needed of [
      'marg_http_request_duration_seconds_count',
      'status=~"5.."',
      'histogram_quantile(0.5, sum by (app, le) (rate(marg_http_request_duration_seconds_bucket',
      'histogram_quantile(0.95, sum by (app, le) (rate(marg_http_request_duration_seconds_bucket',
      'histogram_quantile(0.99, sum by (app, le) (rate(marg_http_request_duration_seconds_bucket',
      'marg_http_requests_in_flight',
      'histogram_quantile(0.95, sum by (database, target, le) (rate(marg_db_query_duration_seconds_bucket',
      'marg_cache_hits_total',
      'marg_cache_misses_total',
      'marg_queue_depth',
      'marg_queue_jobs_total',
      'marg_queue_job_duration_seconds_bucket',
      'histogram_quantile(0.95, sum by (queue, le) (rate(marg_queue_job_wait_seconds_bucket',
      'outcome=~"failed|retry"',
      'marg_schedule_runs_total',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
    ]) {
      assert.ok(all.includes(needed), `no panel queries ${needed}`);
    }
  });
});
