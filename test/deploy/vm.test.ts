import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

// Issue 16: the VM files are read by the programs that run them — systemd-analyze verify,
// supervisor's own config parser, nft -c, bash -n and shellcheck — and deploy.sh does what it
// says (release dirs, `current`, maintenance only for pending migrations, rolling restart,
// rollback) against stand-ins for systemctl/npm/runuser.

const VM = resolve(import.meta.dirname, '../../deploy/vm');
const required = process.env.MARG_REQUIRE_SERVICES === '1';
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
function tool(command: string): { skip: string | false } {
  if (has(command)) return { skip: false };
  if (required) throw new Error(`${command} is missing (CI installs it: .ci/run)`);
  process.stderr.write(`SKIPPED: ${command} is not installed\n`);
  return { skip: `${command} is not installed` };
}
const run = (file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => spawnSync(file, args, { encoding: 'utf8', timeout: 60_000, ...options });

const temp = mkdtempSync(join(tmpdir(), 'marg-vm-'));
after(() => rmSync(temp, { recursive: true, force: true }));

describe('deploy/vm', () => {
  it('systemd-analyze verify accepts every unit', tool('systemd-analyze'), () => {
    const units = readdirSync(join(VM, 'systemd')).map((f) => join(VM, 'systemd', f));
    const result = run('systemd-analyze', ['verify', '--man=no', ...units]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', result.stderr);
    const worker = readFileSync(join(VM, 'systemd/marg-worker@.service'), 'utf8');
    assert.match(worker, /--max-time 3600/);
    assert.match(worker, /TimeoutStopSec=3600/);
  });

  it('supervisor reads its config: the guides numprocs, autorestart, stopwaitsecs and --max-time', { skip: existsSync('/usr/lib/python3/dist-packages/supervisor') ? false : required ? assert.fail('supervisor is missing') : 'supervisor is not installed' }, () => {
    // Supervisor refuses a user or a log folder that does not exist on this machine: the copy it reads names `nobody` and a temporary folder.
    const conf = join(temp, 'marg.conf');
    writeFileSync(conf, readFileSync(join(VM, 'supervisor/marg.conf'), 'utf8').replaceAll('user=marg', 'user=nobody').replaceAll('/var/log/marg/', `${temp}/`));
    writeFileSync(join(temp, 'supervisord.conf'), `[supervisord]\nlogfile=${temp}/supervisord.log\npidfile=${temp}/supervisord.pid\n[include]\nfiles=${conf}\n`);
    const script = `
import json, sys
from supervisor.options import ServerOptions
o = ServerOptions()
o.realize(['-c', sys.argv[1]])
print(json.dumps({p.name: {'numprocs': len(g.process_configs) if False else None, 'command': p.command, 'stopwaitsecs': p.stopwaitsecs, 'autorestart': str(p.autorestart), 'group': g.name} for g in o.process_group_configs for p in g.process_configs}))`;
    const result = run('/usr/bin/python3', ['-c', script, join(temp, 'supervisord.conf')]);
    assert.equal(result.status, 0, result.stderr + result.stdout);
    const programs = JSON.parse(result.stdout) as Record<string, { command: string; stopwaitsecs: number; autorestart: string }>;
    const workers = Object.keys(programs).filter((name) => name.startsWith('marg-worker_'));
    assert.deepEqual(workers.sort(), ['marg-worker_00', 'marg-worker_01', 'marg-worker_02']);
    for (const name of workers) {
      assert.equal(programs[name]!.stopwaitsecs, 3600);
      assert.match(programs[name]!.command, /marg\.js work .*--max-time 3600/);
      assert.match(programs[name]!.autorestart, /RestartUnconditionally|True/i);
    }
    assert.ok(programs['marg-web'] && programs['marg-scheduler'] && programs['marg-realtime']);
  });

  it('nft -c accepts the firewall rules', tool('nft'), () => {
    const result = run('nft', ['-c', '-f', join(VM, 'nftables/marg.nft')]);
    assert.equal(result.status, 0, result.stderr);
  });

  it('deploy.sh passes bash -n and shellcheck', tool('shellcheck'), () => {
    assert.equal(run('bash', ['-n', join(VM, 'deploy.sh')]).status, 0);
    const result = run('shellcheck', [join(VM, 'deploy.sh')]);
    assert.equal(result.status, 0, result.stdout);
  });

  it('deploy.sh: release dirs, current, maintenance only for pending migrations, a rolling restart, rollback, pruning', () => {
    const home = join(temp, 'srv');
    const bin = join(temp, 'bin');
    const log = join(temp, 'calls.log');
    mkdirSync(join(home, 'shared'), { recursive: true });
    mkdirSync(bin);
    writeFileSync(join(home, 'shared/.env'), 'APP_KEY=x\n');
    // Stand-ins: systemctl, runuser, npm and chown record their calls; the release's `marg` says whether migrations are pending.
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    stub('systemctl', 'exit 0');
    stub('runuser', 'shift 3; exec "$@"');
    stub('npm', 'exit 0');
    stub('chown', 'exit 0');
    const release = (name: string, pending: boolean) => {
      const dir = join(temp, name);
      mkdirSync(join(dir, 'bin'), { recursive: true });
      writeFileSync(
        join(dir, 'bin/marg.js'),
        `const [cmd, opt] = process.argv.slice(2); require('fs').appendFileSync(${JSON.stringify(log)}, 'marg ' + process.argv.slice(2).join(' ') + ' in ' + process.cwd() + '\\n');\nif (cmd === 'migrate' && opt === '--status') console.log(${pending} ? '  pending                       accounts/0002' : '  ran 2026-01-01  accounts/0001');\n`,
      );
      writeFileSync(join(dir, 'package.json'), '{"name":"marg-release"}');
      const archive = join(temp, `${name}.tar.gz`);
      execFileSync('tar', ['-czf', archive, '-C', dir, '.']);
      return archive;
    };
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, MARG_HOME: home, KEEP: '2', MARG_UNITS: 'marg-worker@1 marg-web' };
    const deploy = (args: string[]) => {
      writeFileSync(log, '');
      const result = run(join(VM, 'deploy.sh'), args, { env });
      assert.equal(result.status, 0, result.stderr + result.stdout);
      return readFileSync(log, 'utf8');
    };
    const releases = () => readdirSync(join(home, 'releases')).sort();
    const live = () => readlinkSync(join(home, 'current'));

    // First deploy, migrations pending, nothing live yet: migrate, switch, restart; no `down` (nothing to put down).
    let calls = deploy(['deploy', release('r1', true)]);
    assert.equal(releases().length, 1);
    assert.equal(live(), join(home, 'releases', releases()[0]!));
    assert.match(calls, /marg migrate in /);
    assert.doesNotMatch(calls, /marg down/);
    assert.ok(readlinkSync(join(live(), '.env')) === join(home, 'shared/.env'));
    execFileSync('sleep', ['1.1']); // release ids are UTC seconds

    // No pending migrations: no maintenance mode, no migrate; workers restart before the web role, which is health-checked.
    calls = deploy(['deploy', release('r2', false)]);
    assert.doesNotMatch(calls, /marg (down|up|migrate in)/);
    const order = calls.split('\n').filter((l) => l.startsWith('systemctl restart') || l.startsWith('marg health'));
    assert.deepEqual(order.map((l) => l.split(' in ')[0]), ['systemctl restart marg-worker@1', 'systemctl restart marg-web', 'marg health']);
    const second = live();
    execFileSync('sleep', ['1.1']);

    // Pending migrations with a live release: down on the old one, migrate the new, switch, restart, up.
    calls = deploy(['deploy', release('r3', true)]);
    const steps = calls.split('\n').filter((l) => /^marg (down|migrate in|up)|^systemctl restart/.test(l)).map((l) => l.replace(/ in .*/, '').replace(/ --retry.*/, ''));
    assert.deepEqual(steps, ['marg down', 'marg migrate', 'systemctl restart marg-worker@1', 'systemctl restart marg-web', 'marg up']);
    assert.equal(releases().length, 2, 'KEEP=2: the oldest release is pruned');
    assert.notEqual(live(), second);

    // Rollback: back to the previous release, restarted.
    calls = deploy(['rollback']);
    assert.equal(live(), second);
    assert.match(calls, /systemctl restart marg-web/);
    assert.notEqual(run(join(VM, 'deploy.sh'), ['rollback'], { env }).status, 0, 'no release before the oldest');
  });
});
