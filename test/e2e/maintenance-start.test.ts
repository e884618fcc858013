import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostClient } from '../support/client.ts';
import { cleanupCli, startMarg, type RunningMarg } from '../support/cli.ts';
import { assertMaintenance, DOMAIN, pageStatus, propagation, PROPAGATION_BOUND_MS } from './maintenance-helpers.ts';

describe('`marg down` on one machine without servers (embedded SQLite cache)', () => {
  let running: RunningMarg;
  before(async () => {
    running = await startMarg({ env: { LOG_LEVEL: 'warn' } });
  });
  after(async () => {
    await running?.stop();
    await cleanupCli();
  });

  it('reaches a running `marg start` within about a second, and `marg up` brings it back', async (t) => {
    const client = new HostClient(running.port, DOMAIN);
    assert.equal(await pageStatus(client), 302);
    const [ms] = await propagation(['down', '--retry', '30'], running.cwd, undefined, [client], 503);
    t.diagnostic(`down reached marg start ${Math.round(ms!)} ms after the command exited`);
    assert.ok(ms! < PROPAGATION_BOUND_MS, `${Math.round(ms!)} ms`);
    assertMaintenance(await client.get('flow', '/api/me', { allowServerError: true }), 'api');
    assert.equal((await client.get('flow', '/health/live')).status, 200);

    const [upMs] = await propagation(['up'], running.cwd, undefined, [client], 302);
    assert.ok(upMs! < PROPAGATION_BOUND_MS, `${Math.round(upMs!)} ms`);
  });
});
