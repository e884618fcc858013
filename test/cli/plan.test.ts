import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_PRICES } from '../../src/plan/prices.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';

describe('marg plan', () => {
  after(() => cleanupCli());

  it("prints the guide's Phase 2 for 500 users, its nodes, cost and headroom, and says the capacities are the defaults", async () => {
    const dir = tempDir();
    const result = await runMarg(['plan', '--users', '500'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stderr, /no bench\/capacity\.json: using the default capacities/);
    const out = result.stdout;
    assert.match(out, /^Load at the peak: 500 active users, 83\.3 requests\/s \(assumed: 10 per user per minute/m);
    assert.match(out, /^Phase 2 of the guides: Production Ready/m);
    assert.match(out, /^ {2}web +1 +http-1vcpu-1gb +1 +1 GB +\$10 +\$10 +3% +WEB_CONCURRENCY=1/m);
    assert.match(out, /^ {2}database +1 +mysql-1vcpu-2gb/m);
    assert.match(out, /^Monthly cost: \$50 /m);
    assert.match(out, /^Headroom: 2× /m);
    assert.match(out, /web: 3,109 signed-in JSON requests\/s.*default: bench\/RESULTS\.md/);
  });

  it('--json uses a measured capacity file and a --prices file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bench'));
    const machine = { cpu: 'Test CPU', cores: 2, node: 'v20' };
    // 500 requests per core: 300 req/s × 2 headroom = 1.2 cores → two web nodes → Phase 3.
    writeFileSync(join(dir, 'bench/capacity.json'), JSON.stringify({ version: 1, web: { measuredAt: '2026-12-06T18:00:00Z', machine, command: 'npm run bench', drivers: { servers: { signedInJson: 500, cachedRedirect: 1_000, peakRssMb: 200 } } } }));
    writeFileSync(join(dir, 'prices.json'), JSON.stringify({ ...DEFAULT_PRICES, currency: 'EUR' }));
    const result = await runMarg(['plan', '--users', '100', '--rps', '300', '--jobs-per-minute', '0', '--sockets', '0', '--prices', 'prices.json', '--json'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stderr, '');
    const plan = JSON.parse(result.stdout) as { phase: { number: number }; currency: string; prices: string; roles: { role: string; nodes: number }[]; capacities: { web: { source: string } }; monthly: number };
    assert.equal(plan.phase.number, 3);
    assert.equal(plan.currency, 'EUR');
    assert.equal(plan.prices, 'prices.json');
    assert.equal(plan.roles.find((r) => r.role === 'web')?.nodes, 2);
    assert.equal(plan.roles.find((r) => r.role === 'realtime')?.nodes, 0);
    assert.match(plan.capacities.web.source, /^measured 2026-12-06 on 2 × Test CPU \(bench\/capacity\.json\)/);
    // 2 web × 10 + 2 workers × 5 + Redis 10 + MySQL (270 reads + 30 writes, × 2 = 600 q/s > 500: the upgraded one, 30) + balancer 10.
    assert.equal(plan.monthly, 20 + 10 + 10 + 30 + 10);
  });

  it('refuses bad input with exit code 2 and one message naming what to fix', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'prices.json'), JSON.stringify({ ...DEFAULT_PRICES, instances: [] }));
    // A few, one after the other (each is a whole CLI start); the option rules themselves are checked in test/plan/plan.test.ts.
    const cases: [string[], RegExp][] = [
      [['plan'], /required option '--users <n>' not specified/],
      [['plan', '--users', '0'], /option '--users <n>' argument '0' is invalid\. must be a whole number ≥ 1/],
      [['plan', '--users', '10', '--prices', 'prices.json'], /^marg: prices\.json is not a price table: \/instances: Expected array length to be greater or equal to 1/m],
      [['plan', '--users', '10', '--capacities', 'capacity.json'], /^marg: .*capacity\.json is not a capacity file \(written by npm run bench\): \/version/m],
    ];
    writeFileSync(join(dir, 'capacity.json'), JSON.stringify({ version: 2 }));
    for (const [args, message] of cases) {
      const result = await runMarg(args, { cwd: dir, timeoutMs: 60_000 });
      assert.equal(result.code, 2, `${args.join(' ')}: ${describeResult(result)}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(result.stdout, '');
    }
  });
});
