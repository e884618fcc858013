import { collectProcessMetrics, exposedMetricNames } from '../../src/observability/metrics.ts';

/**
 * Every series name a Marg process exposes: its own `marg_*` (histograms with their
 * `_bucket`/`_sum`/`_count`) and prom-client's standard `process_*` and `nodejs_*`, read from
 * the real registry, so a dashboard or rule naming a metric that does not exist fails a test.
 */
export async function margExposedNames(): Promise<Set<string>> {
  collectProcessMetrics();
  return exposedMetricNames();
}

/** The metric names a PromQL expression uses: Marg's and the process ones, plus Prometheus's `up`. */
export function metricNamesIn(expr: string): Set<string> {
  return new Set([...expr.matchAll(/\b(?:marg|process|nodejs)_[a-zA-Z0-9_]+\b|\bup\b/g)].map((m) => m[0]));
}

/** The `expr:` of each rule in a rules file (one line, or a `|` block), without a YAML parser. */
export function alertExpressions(rulesYaml: string): string[] {
  const expressions: string[] = [];
  const lines = rulesYaml.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^(\s*)expr:\s*(.*)$/.exec(lines[i]!);
    if (!match) continue;
    if (match[2] !== '|' && match[2] !== '>') {
      expressions.push(match[2]!);
      continue;
    }
    const indent = match[1]!.length;
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > indent)) block.push(lines[++i]!.trim());
    expressions.push(block.join(' ').trim());
  }
  return expressions;
}
