import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { findBinary } from '../../src/cluster/binaries.ts';
import { DEPLOY_DIR, renderConfig } from '../support/deploy-configs.ts';
import { requireService } from '../support/services.ts';

const run = promisify(execFile);
// spawn's option, which execFile passes on but does not declare.
const DETACHED: object = { detached: true };

// Debian's keepalived; .ci/run installs it. Missing: skipped loudly, or a failure in CI.
const available = await requireService('keepalived', async () => {
  if (!findBinary('keepalived')) throw new Error('keepalived is not installed (apt-get install keepalived)');
});

/**
 * deploy/keepalived/*.conf pass keepalived's own config test (`keepalived -t -f FILE`), on
 * this machine's interface and with an existing script user: the only lines the template step
 * changes (eth1 and keepalived_script exist on the balancers, not here). VRRP itself is not run.
 */
describe('deploy/keepalived: two HAProxy nodes sharing a virtual IP', { skip: available.skipReason }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'marg-keepalived-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const iface = Object.keys(networkInterfaces()).find((name) => name !== 'lo') ?? 'lo';

  /**
   * Runs `keepalived -t -f` on a rendered copy. Keepalived 2.2 ends a config test that passed by
   * SIGTERMing itself (exit 143, no output) and one that failed with exit 5 and the lines at
   * fault; it runs in a session of its own (detached) so its signal cannot reach the test runner.
   */
  async function configTest(file: string, text: string): Promise<{ ok: boolean; output: string }> {
    const path = join(dir, file);
    writeFileSync(path, text);
    try {
      const { stdout, stderr } = await run(findBinary('keepalived')!, ['-t', '-f', path], { timeout: 30_000, ...DETACHED });
      return { ok: true, output: stdout + stderr };
    } catch (error) {
      const { stdout = '', stderr = '', code, signal } = error as { stdout?: string; stderr?: string; code?: number | null; signal?: string | null };
      const output = stdout + stderr;
      return { ok: (signal === 'SIGTERM' || code === 143) && output.trim() === '', output: `exit ${code ?? signal}: ${output}` };
    }
  }

  /** The shipped file with only this machine's interface, an existing script user and the repo's check script. */
  function rendered(file: string): string {
    const path = renderConfig(`keepalived/${file}`, { interface: iface, script_user: 'nobody', script: `"${resolve(DEPLOY_DIR, 'keepalived/check-haproxy.sh')}"` }, join(dir, `rendered-${file}`));
    return readFileSync(path, 'utf8').replace(/dev eth1/g, `dev ${iface}`);
  }

  it('the config test can fail: a misspelt keyword and an unknown interface are reported', async () => {
    const broken = await configTest('broken.conf', rendered('keepalived-primary.conf').replace('virtual_router_id', 'virtual_routr_id').replace(`interface ${iface}`, 'interface marg-none0'));
    assert.equal(broken.ok, false, broken.output);
    assert.match(broken.output, /virtual_routr_id|marg-none0/);
  });

  for (const file of ['keepalived-primary.conf', 'keepalived-backup.conf']) {
    it(`${file} passes keepalived -t`, async () => {
      const result = await configTest(file, rendered(file));
      assert.ok(result.ok, result.output);
    });
  }

  it('the pair agrees: one VRRP instance and router id, the primary outranks the backup, each names the other', () => {
    const primary = readFileSync(resolve(DEPLOY_DIR, 'keepalived/keepalived-primary.conf'), 'utf8');
    const backup = readFileSync(resolve(DEPLOY_DIR, 'keepalived/keepalived-backup.conf'), 'utf8');
    const value = (text: string, key: string) => new RegExp(`^\\s*${key} (.+)$`, 'm').exec(text)?.[1];
    for (const key of ['virtual_router_id', 'advert_int', 'auth_pass']) assert.equal(value(primary, key), value(backup, key), key);
    assert.equal(value(primary, 'state'), 'MASTER');
    assert.equal(value(backup, 'state'), 'BACKUP');
    assert.ok(Number(value(primary, 'priority')) > Number(value(backup, 'priority')));
    // A failed check (weight -20) drops the primary below the backup, so the address moves.
    assert.ok(Number(value(primary, 'priority')) - 20 < Number(value(backup, 'priority')));
    assert.equal(value(primary, 'unicast_src_ip'), /unicast_peer \{\s+(\S+)/.exec(backup)?.[1]);
    assert.equal(value(backup, 'unicast_src_ip'), /unicast_peer \{\s+(\S+)/.exec(primary)?.[1]);
  });
});
