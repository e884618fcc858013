import { Type, type Static } from '@sinclair/typebox';
import { firstErrors } from './validate.ts';

/** What a node can be used for. `replica` is a database read replica. */
export const NODE_ROLES = ['web', 'worker', 'realtime', 'redis', 'database', 'replica'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

const Instance = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    roles: Type.Array(Type.Union(NODE_ROLES.map((r) => Type.Literal(r))), { minItems: 1 }),
    vcpus: Type.Integer({ minimum: 1, maximum: 1024 }),
    memoryGb: Type.Number({ exclusiveMinimum: 0, maximum: 65536 }),
    monthly: Type.Number({ minimum: 0 }),
    /** Redis nodes: operations per second it is sized for. */
    opsPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Database and replica nodes: queries per second it is sized for. */
    queriesPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const PriceTableSchema = Type.Object(
  {
    currency: Type.String({ minLength: 1, maxLength: 8 }),
    source: Type.Optional(Type.String()),
    /** Monthly price of the load balancer: one, or a redundant pair (Phase 4). */
    loadBalancer: Type.Object({ single: Type.Number({ minimum: 0 }), redundant: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
    instances: Type.Array(Instance, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type PriceTable = Static<typeof PriceTableSchema>;
export type Instance = Static<typeof Instance>;

/**
 * The guides' instance types and prices (shared/reference, "MARG Ecosystem Infrastructure
 * Guide": DigitalOcean droplets, Phases 2–4). Where a guide gives only a price ("Redis server
 * (upgraded) $20"), the size is an assumption and the note says so; the capacities of Redis and
 * MySQL nodes are the guide's own ("10,000+ operations/second", "500+ queries/second").
 */
export const DEFAULT_PRICES: PriceTable = {
  currency: 'USD',
  source: "the MARG infrastructure guide's instance types and monthly prices",
  loadBalancer: { single: 10, redundant: 20 },
  instances: [
    { name: 'http-1vcpu-1gb', roles: ['web', 'realtime'], vcpus: 1, memoryGb: 1, monthly: 10, note: 'HTTP server, 1 GB / 1 vCPU ($5–10; Phase 3 prices it $10)' },
    { name: 'worker-1vcpu-512mb', roles: ['worker'], vcpus: 1, memoryGb: 0.5, monthly: 5, note: 'queue worker server, 512 MB / 1 vCPU' },
    { name: 'redis-1vcpu-1gb', roles: ['redis'], vcpus: 1, memoryGb: 1, monthly: 10, opsPerSecond: 10_000, note: 'Redis server, 1 GB / 1 vCPU, maxmemory 512 MB, 10,000+ ops/s' },
    { name: 'redis-upgraded', roles: ['redis'], vcpus: 2, memoryGb: 2, monthly: 20, opsPerSecond: 20_000, note: 'Redis (upgraded, Phase 3; each Sentinel node of Phase 4): $20; size and ops/s assumed' },
    { name: 'mysql-1vcpu-2gb', roles: ['database'], vcpus: 1, memoryGb: 2, monthly: 15, queriesPerSecond: 500, note: 'MySQL server, 2 GB / 1 vCPU ($15–20), 500+ queries/s' },
    { name: 'mysql-upgraded', roles: ['database'], vcpus: 2, memoryGb: 4, monthly: 30, queriesPerSecond: 1_000, note: 'MySQL (upgraded, Phase 3): $30; size and queries/s assumed' },
    { name: 'mysql-primary', roles: ['database'], vcpus: 4, memoryGb: 8, monthly: 80, queriesPerSecond: 2_000, note: 'MySQL primary (Phase 4): $80; size and queries/s assumed' },
    { name: 'mysql-replica', roles: ['replica'], vcpus: 2, memoryGb: 4, monthly: 40, queriesPerSecond: 1_000, note: 'MySQL replica (Phase 4: 2 × $40); size and queries/s assumed' },
  ],
};

export class PriceTableError extends Error {}

/** Checks a price table (the built-in one or `--prices FILE`): schema, then what planning needs of it. */
export function parsePriceTable(value: unknown, name: string): PriceTable {
  const errors = firstErrors(PriceTableSchema, value);
  if (errors) throw new PriceTableError(`${name} is not a price table: ${errors}`);
  const table = value as PriceTable;
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [i, instance] of table.instances.entries()) {
    if (names.has(instance.name)) problems.push(`/instances/${i}/name: "${instance.name}" appears twice`);
    names.add(instance.name);
    if (instance.roles.includes('redis') && instance.opsPerSecond === undefined) problems.push(`/instances/${i} (${instance.name}): a redis node needs opsPerSecond`);
    if ((instance.roles.includes('database') || instance.roles.includes('replica')) && instance.queriesPerSecond === undefined)
      problems.push(`/instances/${i} (${instance.name}): a database or replica node needs queriesPerSecond`);
  }
  for (const role of ['web', 'worker', 'redis', 'database'] as const) {
    if (!table.instances.some((i) => i.roles.includes(role))) problems.push(`/instances: no instance for the ${role} role`);
  }
  if (problems.length > 0) throw new PriceTableError(`${name} is not a usable price table: ${problems.slice(0, 3).join('; ')}`);
  return table;
}
