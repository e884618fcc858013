import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CapacityFileError, DEFAULT_CAPACITIES, resolveCapacities } from '../../src/plan/capacities.ts';
import { readCapacityFile, writeCapacitySection } from '../../src/plan/capacity-file.ts';
import { readPriceFile } from '../../src/plan/price-file.ts';
import { DEFAULT_PRICES, parsePriceTable, PriceTableError } from '../../src/plan/prices.ts';

const dir = mkdtempSync(join(tmpdir(), 'marg-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const machine = { cpu: 'Test CPU', cores: 2, node: 'v20.20.0' };

describe('capacity file (npm run bench → marg plan)', () => {
  it('each benchmark replaces its own section and keeps the others', () => {
    const path = join(dir, 'nested', 'capacity.json');
    assert.equal(readCapacityFile(path), undefined, 'no file yet');
    writeCapacitySection(path, 'web', { measuredAt: '2026-12-06T18:00:00.000Z', machine, command: 'npm run bench', drivers: { embedded: { signedInJson: 4_000, cachedRedirect: 5_000, peakRssMb: 180 } } });
    writeCapacitySection(path, 'queue', { measuredAt: '2026-12-06T18:10:00.000Z', machine, command: 'npm run bench:queue', drivers: { redis: { jobsPerCoreSecond: 9_000, jobsPerSecond: 4_000 } } });
    writeCapacitySection(path, 'web', { measuredAt: '2026-12-06T18:20:00.000Z', machine, command: 'npm run bench', drivers: { servers: { signedInJson: 3_500, cachedRedirect: 4_500, peakRssMb: 190 } } });
    const file = readCapacityFile(path)!;
    assert.equal(file.web?.drivers.embedded, undefined, 'a new web run replaces the old one whole');
    assert.equal(file.web?.drivers.servers?.signedInJson, 3_500);
    assert.equal(file.queue?.drivers.redis?.jobsPerCoreSecond, 9_000, 'the queue section is kept');

    const used = resolveCapacities(file, 'capacity.json', 'redis');
    assert.equal(used.web.signedInJson, 3_500);
    assert.equal(used.web.drivers, 'servers');
    assert.match(used.web.source, /^measured 2026-12-06 on 2 × Test CPU/);
    assert.equal(used.queue.jobsPerCoreSecond, 9_000);
    // Not measured: the defaults, and the plan says so.
    assert.equal(used.realtime.sockets, DEFAULT_CAPACITIES.realtime.sockets);
    assert.match(used.realtime.source, /^default: bench\/RESULTS\.md/);
    const database = resolveCapacities(file, 'capacity.json', 'database');
    assert.equal(database.queue.jobsPerCoreSecond, DEFAULT_CAPACITIES.queue.database.jobsPerCoreSecond);
    assert.match(database.queue.source, /^default/);
  });

  it('uses the embedded web numbers when the servers drivers were not measured', () => {
    const used = resolveCapacities({ version: 1, web: { measuredAt: '2026-12-06', machine, command: 'x', drivers: { embedded: { signedInJson: 1_234, cachedRedirect: 2_345, peakRssMb: 150 } } } }, 'f', 'redis');
    assert.equal(used.web.drivers, 'embedded');
    assert.equal(used.web.signedInJson, 1_234);
  });

  it('refuses a file that is not a capacity file, naming the field', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ version: 1, web: { measuredAt: 'x', machine, command: 'x', drivers: { servers: { signedInJson: -5, cachedRedirect: 1, peakRssMb: 1 } } } }));
    assert.throws(() => readCapacityFile(path), (e: unknown) => e instanceof CapacityFileError && /\/web\/drivers\/servers\/signedInJson/.test(e.message));
    writeFileSync(path, '{ not json');
    assert.throws(() => readCapacityFile(path), (e: unknown) => e instanceof CapacityFileError && /is not JSON/.test(e.message));
    // A benchmark's write repairs it.
    writeCapacitySection(path, 'realtime', { measuredAt: '2026-12-06', machine, command: 'x', sockets: 5_000, rssMb: 120, fanoutPerSecond: 50_000 });
    assert.equal(readCapacityFile(path)?.realtime?.sockets, 5_000);
    assert.throws(() => writeCapacitySection(path, 'realtime', { measuredAt: '2026-12-06', machine, command: 'x', sockets: 0, rssMb: Number.NaN, fanoutPerSecond: 1 }), CapacityFileError);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).realtime.sockets, 5_000, 'a bad measurement does not replace a good one');
  });
});

describe('price table (--prices FILE)', () => {
  it("the built-in table is the guide's and passes its own checks", () => {
    assert.doesNotThrow(() => parsePriceTable(DEFAULT_PRICES, 'built in'));
    const cost = (name: string) => DEFAULT_PRICES.instances.find((i) => i.name === name)?.monthly;
    assert.equal(cost('http-1vcpu-1gb'), 10);
    assert.equal(cost('redis-1vcpu-1gb'), 10);
    assert.equal(cost('mysql-1vcpu-2gb'), 15);
    assert.equal(cost('worker-1vcpu-512mb'), 5);
  });

  it('refuses tables planning cannot use, with the reason', () => {
    const base = structuredClone(DEFAULT_PRICES) as unknown as { instances: Record<string, unknown>[] } & Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [{ ...base, currency: undefined }, /\/currency/],
      [{ ...base, instances: base.instances.map((i) => (i.name === 'redis-1vcpu-1gb' ? { ...i, opsPerSecond: undefined } : i)) }, /redis node needs opsPerSecond/],
      [{ ...base, instances: base.instances.filter((i) => !(i.roles as string[]).includes('worker')) }, /no instance for the worker role/],
      [{ ...base, instances: [...base.instances, base.instances[0]] }, /appears twice/],
      [{ ...base, instances: [{ ...base.instances[0], roles: ['webserver'] }] }, /\/instances\/0\/roles/],
      [{ ...base, instances: [{ ...base.instances[0], monthly: '10' }] }, /\/instances\/0\/monthly/],
      [{ ...base, extra: 1 }, /extra|additional/i],
    ];
    for (const [table, message] of cases) assert.throws(() => parsePriceTable(JSON.parse(JSON.stringify(table)), 'prices.json'), (e: unknown) => e instanceof PriceTableError && e.message.startsWith('prices.json') && message.test(e.message), String(message));
  });

  it('reads a file, and says what is wrong with one that is not JSON or missing', () => {
    const path = join(dir, 'prices.json');
    writeFileSync(path, JSON.stringify({ ...DEFAULT_PRICES, currency: 'EUR' }));
    assert.equal(readPriceFile(path).currency, 'EUR');
    writeFileSync(path, '[1,');
    assert.throws(() => readPriceFile(path), /is not JSON/);
    assert.throws(() => readPriceFile(join(dir, 'missing.json')), /cannot read the price table/);
  });
});
