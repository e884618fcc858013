import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { requireService } from '../support/services.ts';
import { alertExpressions, margExposedNames, metricNamesIn } from './metric-names.ts';

const run = promisify(execFile);
const DIR = resolve(import.meta.dirname, '../../deploy/prometheus');
const CONFIG = resolve(DIR, 'prometheus.yml');
const RULES = resolve(DIR, 'alerts.yml');
const RULE_TESTS = resolve(DIR, 'alerts.test.yml');
const PROMTOOL = existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : 'promtool';

/** Runs promtool; resolves with its output, rejects with it (stdout and stderr) on a non-zero exit. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { timeout: 60_000 });
    return stdout + stderr;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

// Debian's `prometheus` package ships promtool; .ci/run installs it. Missing: skipped loudly, or a failure in CI.
const available = await requireService('promtool', async () => {
  try {
    await run(PROMTOOL, ['--version'], { timeout: 10_000 });
  } catch {
    throw new Error('promtool is not installed (apt-get install prometheus)');
  }
});

describe('deploy/prometheus passes promtool', { skip: available.skipReason }, () => {
  it('prometheus.yml is a valid config, and its rule_files resolve (relative to the config file)', async () => {
    const output = await promtool('check', 'config', CONFIG);
    assert.match(output, /SUCCESS: 1 rule files found/);
    assert.match(output, /is valid prometheus config file/);
  });

  it('alerts.yml holds valid rules', async () => {
    assert.match(await promtool('check', 'rules', RULES), /SUCCESS: 15 rules found/);
  });

  it('the rule unit tests pass: each alert fires on its data and stays quiet below its threshold', async () => {
    assert.match(await promtool('test', 'rules', RULE_TESTS), /SUCCESS/);
  });
});

describe('deploy/prometheus rules and scrape targets (no promtool needed)', () => {
  const rules = readFileSync(RULES, 'utf8');
  let exposed: Set<string>;
  before(async () => {
    exposed = await margExposedNames();
  });

  it('has an alert for each of the guides\' thresholds', () => {
    const alerts = [...rules.matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(alerts.sort(), [
      'MargCertificateExpiry',
      'MargDatabaseDown',
      'MargDiskAlmostFull',
      'MargHighCpu',
      'MargHighErrorRate',
      'MargHighLatencyP95',
      'MargHighMemory',
      'MargHostHighCpu',
      'MargHostHighMemory',
      'MargInstanceDown',
      'MargQueueBacklog',
      'MargQueueStoreUnreachable',
      'MargRedisDown',
      'MargRedisFailover',
      'MargReplicationLag',
    ]);
    const tested = readFileSync(RULE_TESTS, 'utf8');
    for (const alert of alerts) {
      assert.match(tested, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`), `${alert}: a case where it does not fire`);
      assert.match(tested, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`), `${alert}: a case where it fires`);
    }
  });

  it('uses only metric names that Marg exposes (or Prometheus\'s own `up`)', () => {
    const used = new Set(alertExpressions(rules).flatMap((expr) => [...metricNamesIn(expr)]));
    assert.ok(used.size >= 6, [...used].join(', '));
    for (const name of used) assert.ok(name === 'up' || exposed.has(name), `alerts.yml uses ${name}, which no Marg process exposes`);
  });

  it('scrapes every role on the metrics port, never the app port', () => {
    const config = readFileSync(CONFIG, 'utf8');
    for (const job of ['marg-web', 'marg-worker', 'marg-scheduler']) assert.match(config, new RegExp(`job_name: ${job}\\n`));
    assert.doesNotMatch(config.replace(/#.*$/gm, ''), /:8080|port: 8080/);
  });
});
