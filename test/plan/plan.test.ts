import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveCapacities, type Capacities } from '../../src/plan/capacities.ts';
import { plan, PlanInputError, type Plan } from '../../src/plan/plan.ts';
import { DEFAULT_PRICES, type PriceTable } from '../../src/plan/prices.ts';

const defaults = resolveCapacities(undefined, 'none', 'redis');
const role = (p: Plan, name: string) => {
  const found = p.roles.find((r) => r.role === name);
  assert.ok(found, `no ${name} role in ${p.roles.map((r) => r.role).join(', ')}`);
  return found;
};
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 0.01, `${what}: ${actual}, expected ${expected}`);

/** Round numbers, so that the arithmetic can be followed by hand. */
const capacities: Capacities = {
  web: { signedInJson: 2_000, cachedRedirect: 4_000, peakRssMb: 200, drivers: 'servers', source: 'test' },
  queue: { jobsPerCoreSecond: 10_000, jobsPerSecond: 5_000, driver: 'redis', source: 'test' },
  realtime: { sockets: 10_000, rssMb: 200, source: 'test' },
};
const prices: PriceTable = {
  currency: 'EUR',
  loadBalancer: { single: 7, redundant: 14 },
  instances: [
    { name: 'small', roles: ['web', 'worker', 'realtime'], vcpus: 1, memoryGb: 1, monthly: 10 },
    { name: 'pair', roles: ['web', 'worker'], vcpus: 2, memoryGb: 4, monthly: 18 },
    { name: 'quad', roles: ['web'], vcpus: 4, memoryGb: 1, monthly: 20 }, // 4 vCPU but room for only 4 × 200 MB in 80% of 1 GB: 4 processes
    { name: 'kv', roles: ['redis'], vcpus: 1, memoryGb: 1, monthly: 10, opsPerSecond: 10_000 },
    { name: 'kv-big', roles: ['redis'], vcpus: 2, memoryGb: 4, monthly: 25, opsPerSecond: 50_000 },
    { name: 'db', roles: ['database'], vcpus: 1, memoryGb: 2, monthly: 15, queriesPerSecond: 500 },
    { name: 'db-big', roles: ['database'], vcpus: 4, memoryGb: 8, monthly: 60, queriesPerSecond: 4_000 },
    { name: 'db-replica', roles: ['replica'], vcpus: 2, memoryGb: 4, monthly: 30, queriesPerSecond: 2_000 },
  ],
};

/** The same, with a database large enough that only the web decides the phase. */
const bigDatabase: PriceTable = { ...prices, instances: [...prices.instances, { name: 'db-huge', roles: ['database'], vcpus: 32, memoryGb: 128, monthly: 500, queriesPerSecond: 100_000 }] };

describe('marg plan: the arithmetic', () => {
  it("the guide's Phase 2 example: 500 active users on the default capacities and the guide's prices", () => {
    const p = plan({ users: 500, databases: 5 }, defaults, DEFAULT_PRICES);
    // The guide: 500 users × 10 requests/min = 83 requests/s; 100 jobs/minute; one socket each.
    close(p.load.rps, 83.33, 'rps');
    assert.equal(p.load.jobsPerMinute, 100);
    assert.equal(p.load.sockets, 500);
    assert.deepEqual(p.load.derived, ['rps', 'jobsPerMinute', 'sockets']);
    assert.equal(p.phase.number, 2);
    assert.equal(p.headroom, 2);
    // web: 83.33 req/s ÷ 3,109 per core = 2.7% of one process.
    assert.equal(role(p, 'web').nodes, 1);
    close(role(p, 'web').utilisation, 83.333 / 3_109, 'web use');
    // worker: 1 ÷ (1/10,309 + 0.020) = 49.76 jobs/s per process; 1.667 jobs/s is 3.35% of it.
    assert.equal(role(p, 'worker').nodes, 1);
    close(role(p, 'worker').utilisation, (100 / 60) * (1 / 10_309 + 0.02), 'worker use');
    assert.equal(role(p, 'realtime').nodes, 1);
    assert.equal(role(p, 'scheduler').monthly, 0);
    // Redis: 83.33 × 3 + 1.667 × 10 = 266.67 ops/s; 500 × 2 × 2 KB + 64 MB = 65.95 MB.
    close(p.redis.opsPerSecond, 266.67, 'redis ops');
    close(p.redis.memoryMb, 65.95, 'redis MB');
    // Database: 90% of 83.33 reads; 10% writes + 1 per job = 8.33 + 1.67 = 10 writes/s; (75 + 10) × 2 ≤ 500.
    close(p.database.readsPerSecond, 75, 'reads');
    close(p.database.writesPerSecond, 10, 'writes');
    assert.equal(role(p, 'database').instance?.name, 'mysql-1vcpu-2gb');
    assert.equal(p.roles.some((r) => r.role === 'replica'), false);
    // 3 processes (web, worker, scheduler) × 5 databases × 10 = 150 ≤ 200.
    assert.equal(p.database.connections, 150);
    assert.equal(p.database.suggestedPoolMax, undefined);
    // $10 web + $5 worker + $10 realtime + $10 Redis + $15 MySQL; no balancer with one web node.
    assert.equal(p.loadBalancer.kind, 'none');
    assert.equal(p.monthly, 50);
    assert.deepEqual(p.warnings, []);
  });

  it('mixes route classes by their time per request, and takes the cheapest instance type', () => {
    // Half JSON (1/2,000 s), half redirects (1/4,000 s): 2,666.7 requests/s per process.
    // 4,000 req/s × 1.5 = 6,000 → 2.25 processes: small 3 × €10 = €30, pair 2 × €18 = €36, quad 1 × €20 = €20.
    const p = plan({ users: 400, rps: 4_000, jobsPerMinute: 0, sockets: 0, headroom: 1.5, redirectShare: 0.5 }, capacities, bigDatabase);
    assert.equal(p.phase.number, 2);
    const web = role(p, 'web');
    assert.equal(web.instance?.name, 'quad');
    assert.equal(web.nodes, 1);
    assert.equal(web.processesPerNode, 4, 'min(4 vCPU, floor(1,024 MB × 0.8 ÷ 200 MB) = 4)');
    close(web.utilisation, 4_000 / (4 * 2_666.667), 'web use');
    // Database: 3,600 reads + 400 writes, × 1.5 = 6,000 q/s: only db-huge carries it alone.
    assert.equal(role(p, 'database').instance?.name, 'db-huge');
    assert.deepEqual(p.load.derived, []);
    assert.equal(role(p, 'realtime').nodes, 0);
    assert.equal(p.currency, 'EUR');
  });

  it('moves to the phase whose layout the load needs, and says why', () => {
    // 300 users is Phase 2 by the guide, but 5,000 req/s × 2 ÷ 2,000 = 5 processes do not fit one node.
    const p = plan({ users: 300, rps: 5_000, jobsPerMinute: 60, sockets: 100 }, capacities, bigDatabase);
    assert.equal(p.phase.number, 3);
    assert.match(p.phaseReasons.join('\n'), /more than one web, worker or realtime node/);
    assert.equal(p.loadBalancer.kind, 'single');
    // 5 processes: quad holds 4 → 2 × €20 = €40; small 5 × €10 = €50; pair 3 × €18 = €54.
    assert.equal(role(p, 'web').instance?.name, 'quad');
    assert.equal(role(p, 'web').nodes, 2);
    // Database: reads 4,500, writes 500 + 1 = 501 → × 2 = 10,002 q/s: more than any primary → read replicas → Phase 4.
    const q = plan({ users: 300, rps: 5_000, jobsPerMinute: 60, sockets: 100 }, capacities, prices);
    assert.equal(q.phase.number, 4);
  });

  it('sizes the database: one primary while it carries everything, then replicas for the reads (Phase 4)', () => {
    // 1,000 req/s, no jobs: 900 reads + 100 writes, × 2 = 2,000 q/s → db-big (4,000) alone in Phase 3.
    const three = plan({ users: 1_000, rps: 1_000, jobsPerMinute: 0, sockets: 0 }, capacities, prices);
    assert.equal(three.phase.number, 3);
    assert.equal(role(three, 'database').instance?.name, 'db-big');
    assert.equal(three.roles.some((r) => r.role === 'replica'), false);
    // 2,000 req/s: 1,800 reads + 200 writes → × 2 = 4,000 q/s: db-big alone (replicas are a Phase 4 layout; 1,000 users is Phase 3).
    const fits = plan({ users: 1_000, rps: 2_000, jobsPerMinute: 0, sockets: 0 }, capacities, prices);
    assert.equal(fits.phase.number, 3);
    assert.equal(role(fits, 'database').instance?.name, 'db-big');
    // 3,000 req/s: 2,700 reads + 300 writes → × 2 = 6,000 q/s: no primary alone → Phase 4. db cannot take the 600 writes/s;
    // db-big takes 4,000 and 1 replica the other 2,000, but Phase 4 runs 2 at least: €60 + 2 × €30.
    const four = plan({ users: 1_000, rps: 3_000, jobsPerMinute: 0, sockets: 0 }, capacities, prices);
    assert.equal(four.phase.number, 4);
    assert.match(four.phaseReasons.join('\n'), /read replicas/);
    assert.equal(role(four, 'database').instance?.name, 'db-big');
    assert.equal(role(four, 'replica').nodes, 2);
    assert.equal(role(four, 'replica').monthly, 60);
    assert.equal(role(four, 'redis').nodes, 3, 'Phase 4: Redis under Sentinel');
    assert.equal(four.loadBalancer.monthly, 14);
  });

  it('warns when the database connections exceed max_connections and says which DB_POOL_MAX fits', () => {
    // 8,000 req/s ÷ 2,000 × 2 = 8 processes (2 quad nodes) + 2 workers + the scheduler = 11 × 4 databases × 10 = 440.
    const p = plan({ users: 1_000, rps: 8_000, jobsPerMinute: 0, sockets: 0, databases: 4 }, capacities, prices);
    assert.equal(p.database.connections, 440);
    assert.equal(p.database.suggestedPoolMax, 4); // floor(200 / 44)
    assert.match(p.warnings.join('\n'), /set DB_POOL_MAX=4/);
  });

  it('the queue on the database adds its own queries per job and no Redis operations', () => {
    const capacitiesDb = { ...capacities, queue: { ...capacities.queue, driver: 'database' as const } };
    const p = plan({ users: 100, rps: 0, jobsPerMinute: 600, sockets: 0, queue: 'database' }, capacitiesDb, prices);
    close(p.database.writesPerSecond, 10 * 4, 'writes: 10 jobs/s × (1 + 3)');
    close(p.redis.opsPerSecond, 0, 'redis ops');
  });

  it('flags a load beyond the largest tier instead of pretending it fits', () => {
    const p = plan({ users: 1_000, rps: 20_000, jobsPerMinute: 0, sockets: 0 }, capacities, prices);
    assert.equal(role(p, 'redis').overloaded, true, '60,000 ops/s × 2 is more than kv-big');
    assert.match(p.warnings.join('\n'), /Redis: 60,000 ops\/s/);
  });

  it('refuses bad input with a message naming the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ users: 0 }, /--users must be a whole number from 1/],
      [{ users: 1.5 }, /--users must be a whole number/],
      [{ users: 10, rps: -1 }, /--rps must be a number/],
      [{ users: 10, headroom: 0.5 }, /--headroom must be a number from 1 to 10/],
      [{ users: 10, redirectShare: 2 }, /--redirect-share/],
      [{ users: 10, sockets: Number.NaN }, /--sockets/],
      [{ users: 10, queue: 'kafka' }, /--queue must be redis or database/],
    ];
    for (const [input, message] of bad) assert.throws(() => plan(input as never, capacities, prices), (e: unknown) => e instanceof PlanInputError && message.test(e.message));
  });
});
