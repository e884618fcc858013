import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { findBinary } from '../../src/cluster/binaries.ts';
import { checkHaproxyConfig, createHaproxy } from '../../src/cluster/haproxy.ts';
import { checkNginxConfig, createNginx } from '../../src/cluster/nginx.ts';
import { renderTemplate } from '../../src/cluster/template.ts';
import { requireService } from '../support/services.ts';

const run = promisify(execFile);
const NODES = [
  { name: 'web-1', port: 41001 },
  { name: 'web-2', port: 41002 },
  { name: 'web-3', port: 41003 },
];

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'marg-lb-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function binary(name: string, install: string) {
  return requireService(name, async () => {
    if (!findBinary(name)) throw new Error(`${name} not found on PATH or in /usr/sbin (${install})`);
  });
}
const haproxy = await binary('haproxy', 'apt-get install haproxy');
const nginx = await binary('nginx', 'apt-get install nginx');

describe('the config template renderer', () => {
  it('fills placeholders and writes a server line once per node', () => {
    const text = renderTemplate('bind {{bind}}\n  server {{server.name}} {{ server.address }} {{opts}}\nend', { bind: ':80', opts: 'check' }, [
      { name: 'a', address: '127.0.0.1:1' },
      { name: 'b', address: '127.0.0.1:2' },
    ]);
    assert.equal(text, 'bind :80\n  server a 127.0.0.1:1 check\n  server b 127.0.0.1:2 check\nend');
  });

  it('refuses a placeholder it has no value for, naming it', () => {
    assert.throws(() => renderTemplate('x {{missing}}', {}, []), /\{\{missing\}\} has no value/);
    assert.throws(() => renderTemplate('server {{server.port}}', {}, [{ name: 'a' }]), /\{\{server\.port\}\}/);
  });
});

describe('the rendered HAProxy config', { skip: haproxy.skipReason }, () => {
  it('passes `haproxy -c` with a server line per web node and health checks on /health/ready', async () => {
    const dir = tempDir();
    const balancer = createHaproxy({ dir, host: '127.0.0.1', port: 18080, binary: findBinary('haproxy')! });
    await balancer.render(NODES);
    const checked = await run(findBinary('haproxy')!, ['-c', '-f', balancer.configFile]);
    assert.match(checked.stdout + checked.stderr, /Configuration file is valid/);
    const text = readFileSync(balancer.configFile, 'utf8');
    assert.doesNotMatch(text, /\{\{/, 'every placeholder is filled');
    assert.match(text, /option httpchk GET \/health\/ready/);
    assert.match(text, /balance roundrobin/);
    // Never the Host as sent: a malformed one is refused, the nodes get the name with this frontend's port.
    assert.match(text, /http-request deny deny_status 400 unless \{ req\.hdr\(host\) -m reg -i \^\[a-z0-9\.-\]\+\(:\[0-9\]\+\)\?\$ \}/);
    assert.match(text, /http-request set-header Host %\[req\.hdr\(host\),lower,field\(1,:\)\]:%\[dst_port\]/);
    for (const n of NODES) assert.match(text, new RegExp(`^\\s+server ${n.name} 127\\.0\\.0\\.1:${n.port} check inter 1000ms fall 2 rise 1$`, 'm'));
    assert.match(text, new RegExp(`stats socket ${balancer.socket!.replaceAll('.', '\\.')} mode 600 level admin`));
  });

  it('the check can fail: a broken config is refused with HAProxy\'s message', async () => {
    const file = join(tempDir(), 'broken.cfg');
    writeFileSync(file, 'frontend f\n    bind 127.0.0.1:18080\n    no-such-keyword here\n');
    await assert.rejects(checkHaproxyConfig(findBinary('haproxy')!, file), /haproxy -c refused .*broken\.cfg[\s\S]*no-such-keyword/);
  });
});

describe('the rendered nginx config', { skip: nginx.skipReason }, () => {
  it('passes `nginx -t` with a prefix dir (no root paths), an upstream server per node and passive health', async () => {
    const dir = tempDir();
    const balancer = createNginx({ dir, host: '127.0.0.1', port: 18081, binary: findBinary('nginx')! });
    await balancer.render(NODES);
    const checked = await run(findBinary('nginx')!, ['-t', '-p', join(dir, 'nginx'), '-c', balancer.configFile, '-e', 'stderr']);
    assert.match(checked.stderr, /test is successful/);
    const text = readFileSync(balancer.configFile, 'utf8');
    assert.doesNotMatch(text, /\{\{/, 'every placeholder is filled');
    for (const n of NODES) assert.match(text, new RegExp(`^\\s+server 127\\.0\\.0\\.1:${n.port} max_fails=1 fail_timeout=5s;$`, 'm'));
    assert.match(text, /proxy_next_upstream error timeout;/);
    // Never the Host as sent ($http_host): nginx's parsed name and the port it listens on.
    assert.doesNotMatch(text, /^[^#\n]*\$http_host/m);
    assert.match(text, /proxy_set_header Host \$host:\$server_port;/);
    assert.match(text, new RegExp(`pid ${join(dir, 'nginx', 'nginx.pid').replaceAll('.', '\\.')};`));
  });

  it('the check can fail: a broken config is refused with nginx\'s message', async () => {
    const dir = tempDir();
    const file = join(dir, 'broken.conf');
    writeFileSync(file, `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { no_such_directive on; }\n`);
    await assert.rejects(checkNginxConfig(findBinary('nginx')!, dir, file), /nginx -t refused[\s\S]*no_such_directive/);
  });
});
