import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { requireService } from '../support/services.ts';

const run = promisify(execFile);
const CONFIG = resolve(import.meta.dirname, '../../deploy/alertmanager/alertmanager.yml');

/** amtool's stdout (its warnings go to stderr). */
async function amtool(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('amtool', args, { timeout: 30_000 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`amtool ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

// Debian's prometheus-alertmanager ships amtool; .ci/run installs it. Missing: skipped loudly, or a failure in CI.
const available = await requireService('amtool', async () => {
  try {
    await run('amtool', ['--version'], { timeout: 10_000 });
  } catch {
    throw new Error('amtool is not installed (apt-get install prometheus-alertmanager)');
  }
});

describe('deploy/alertmanager passes amtool', { skip: available.skipReason }, () => {
  it('alertmanager.yml is a valid config', async () => {
    assert.match(await amtool('check-config', CONFIG), /SUCCESS/);
  });

  it('routes by severity: critical to on-call (mail and webhook), warning and anything else to the team mail', async () => {
    const route = async (...labels: string[]) => (await amtool('config', 'routes', 'test', `--config.file=${CONFIG}`, ...labels)).trim();
    assert.equal(await route('severity=critical', 'alertname=MargRedisDown'), 'on-call');
    assert.equal(await route('severity=warning', 'alertname=MargReplicationLag'), 'team-mail');
    assert.equal(await route('alertname=SomethingElse'), 'team-mail');
    const onCall = /- name: on-call\n([\s\S]*?)\n\n/.exec(readFileSync(CONFIG, 'utf8'))?.[1] ?? '';
    assert.match(onCall, /email_configs:/, 'on-call gets mail');
    assert.match(onCall, /webhook_configs:\n\s+- url: 'https:\/\//, 'and the webhook');
  });
});
