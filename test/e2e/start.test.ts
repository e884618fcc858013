import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { HostClient } from '../support/client.ts';
import { cleanupCli, describeResult, runMarg, startMarg, tempDir } from '../support/cli.ts';

const DOMAIN = 'marg.localhost';
/**
 * A hang detector, not a performance budget: CI runs this file while other stages load both cores
 * (it once took 10.8 s there). Boot time is measured by `npm run bench` against bare Fastify.
 */
const READY_WITHIN_MS = 60_000;

function appKeyIn(dir: string): string | undefined {
  return /^APP_KEY=(base64:[A-Za-z0-9+/]{43}=)$/m.exec(readFileSync(join(dir, '.env'), 'utf8'))?.[1];
}

/** `npm start`'s path for real: `marg start` as a child process in an empty directory. */
describe('marg start in an empty directory', () => {
  const dir = tempDir('marg-e2e-start-');
  after(() => cleanupCli());

  it('writes APP_KEY, migrates, seeds once, serves the three apps, and stops cleanly on Ctrl-C', async (t) => {
    const first = await startMarg({ cwd: dir });
    const { stdout } = first.output();
    assert.ok(first.readyMs < READY_WITHIN_MS, `ready after ${Math.round(first.readyMs)} ms (bound ${READY_WITHIN_MS} ms)`);
    t.diagnostic(`marg start: ready in ${Math.round(first.readyMs)} ms on port ${first.port}`);

    assert.match(stdout, /^Generated APP_KEY and wrote it to \.env/m);
    const key = appKeyIn(dir);
    assert.ok(key, '.env holds an APP_KEY');
    for (const [title, app] of [['Accounts', 'accounts'], ['Flow', 'flow'], ['Links', 'links']]) {
      assert.match(stdout, new RegExp(`^  ${title}\\s+http://${app}\\.marg\\.localhost:${first.port}/$`, 'm'), app);
    }
    assert.ok(first.admin, `the first start prints the admin's sign-in:\n${stdout}`);
    assert.equal(first.admin.email, `admin@${DOMAIN}`);

    const client = new HostClient(first.port, DOMAIN);
    const health = await client.get('accounts', '/health');
    assert.equal(health.status, 200, health.text);
    assert.equal(health.json().status, 'healthy');

    // Printed last, and kept in an owner-only file until that first sign-in.
    assert.match(stdout, /password: \S+\n.*first-run-credentials\.txt[^\n]*\n[\s\S]*Press Ctrl-C to stop\.\s*$/);
    const credentials = join(dir, 'storage', 'first-run-credentials.txt');
    assert.equal(statSync(credentials).mode & 0o777, 0o600);
    assert.match(readFileSync(credentials, 'utf8'), new RegExp(`password: ${first.admin.password.replace(/[-]/g, '\\-')}`));
    const signIn = await client.signIn('flow', first.admin.email, first.admin.password);
    assert.ok(!existsSync(credentials), 'removed at the first sign-in');
    assert.equal(signIn.json().email, first.admin.email);
    const me = await client.get('flow', '/api/me');
    assert.equal(me.status, 200);
    assert.ok(me.json().permissions.includes('flow.tasks.manage'), me.text);
    assert.ok(me.json().roles.includes('accounts:admin'), me.text);
    const page = await client.get('flow', '/', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200, page.text);

    // The realtime app written to .env, and the Pusher WebSocket on the same port under ws.<MARG_DOMAIN>.
    assert.match(stdout, /^Generated REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET/m);
    const reverbKey = /^REVERB_APP_KEY=([0-9a-f]+)$/m.exec(readFileSync(join(dir, '.env'), 'utf8'))?.[1];
    assert.ok(reverbKey, '.env holds a REVERB_APP_KEY');
    assert.match(stdout, new RegExp(`Realtime\\s+ws://ws\\.marg\\.localhost:${first.port}/app/${reverbKey}`));
    const hello = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${first.port}/app/${reverbKey}?protocol=7`, { headers: { host: `ws.${DOMAIN}:${first.port}` } });
      ws.once('message', (data) => (resolve(String(data)), ws.close()));
      ws.once('error', reject);
    });
    assert.equal((JSON.parse(hello) as { event: string }).event, 'pusher:connection_established');

    // `marg health` (a container HEALTHCHECK) against the running node.
    const probe = await runMarg(['health', '--url', `http://127.0.0.1:${first.port}`], { cwd: dir });
    assert.equal(probe.code, 0, describeResult(probe));
    assert.equal(JSON.parse(probe.stdout).status, 'healthy');

    const stopped = await first.stop('SIGINT', 10_000);
    assert.equal(stopped.killed, false, `did not exit within 10 s of SIGINT:\n${JSON.stringify(first.output())}`);
    assert.equal(stopped.code, 0, JSON.stringify(first.output()));
    assert.ok(stopped.ms < 10_000);

    // A second start in the same directory keeps the key and data, and prints no new password.
    const second = await startMarg({ cwd: dir });
    const again = second.output().stdout;
    assert.equal(second.admin, undefined, `a second start printed a password:\n${again}`);
    assert.doesNotMatch(again, /Demo data created|password:|Generated APP_KEY/);
    assert.match(again, /^Marg is running:$/m);
    assert.equal(appKeyIn(dir), key, 'the APP_KEY is kept');
    const client2 = new HostClient(second.port, DOMAIN);
    await client2.signIn('links', first.admin.email, first.admin.password);

    const stoppedAgain = await second.stop('SIGINT', 10_000);
    assert.equal(stoppedAgain.killed, false);
    assert.equal(stoppedAgain.code, 0, JSON.stringify(second.output()));
  });
});
