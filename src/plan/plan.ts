import { ASSUMPTIONS } from './assumptions.ts';
import type { Capacities, QueueDriver } from './capacities.ts';
import { phaseForUsers, phaseNumbered, type Phase } from './phases.ts';
import type { Instance, NodeRole, PriceTable } from './prices.ts';

/** What the user asked for; an undefined load is derived from `users` with the guides' ratios. */
export interface PlanInput {
  readonly users: number;
  readonly rps?: number | undefined;
  readonly jobsPerMinute?: number | undefined;
  readonly sockets?: number | undefined;
  readonly headroom?: number | undefined;
  readonly jobCpuMs?: number | undefined;
  /** Share of requests that are cached short-link redirects (the rest: signed-in JSON). */
  readonly redirectShare?: number | undefined;
  readonly queue?: QueueDriver | undefined;
  /** Databases each process opens (the apps' own, RBAC, queue...), for the connection count. */
  readonly databases?: number | undefined;
  readonly dbPoolMax?: number | undefined;
}

export class PlanInputError extends Error {}

/** Load at the peak, with where each number came from. */
export interface Load {
  readonly users: number;
  readonly rps: number;
  readonly jobsPerMinute: number;
  readonly sockets: number;
  /** Which of rps, jobsPerMinute, sockets were derived from users rather than given. */
  readonly derived: readonly ('rps' | 'jobsPerMinute' | 'sockets')[];
}

export interface RolePlan {
  readonly role: 'web' | 'worker' | 'realtime' | 'scheduler' | 'redis' | 'database' | 'replica';
  readonly nodes: number;
  /** undefined: runs on another role's node (the scheduler on the first worker). */
  readonly instance: Instance | undefined;
  readonly monthly: number;
  /** Processes per node (web: WEB_CONCURRENCY). */
  readonly processesPerNode: number;
  /** Peak load ÷ the capacity of these nodes: at most 1 ÷ headroom unless `overloaded`. */
  readonly utilisation: number;
  readonly overloaded: boolean;
  readonly detail: string;
}

export interface Plan {
  readonly load: Load;
  readonly headroom: number;
  readonly phase: Phase;
  /** Why this phase: the users, and what the computed layout needs. */
  readonly phaseReasons: readonly string[];
  readonly roles: readonly RolePlan[];
  readonly loadBalancer: { readonly kind: Phase['loadBalancer']; readonly monthly: number };
  readonly redis: { readonly opsPerSecond: number; readonly memoryMb: number };
  readonly database: { readonly readsPerSecond: number; readonly writesPerSecond: number; readonly connections: number; readonly maxConnections: number; readonly suggestedPoolMax: number | undefined };
  readonly monthly: number;
  readonly currency: string;
  readonly warnings: readonly string[];
  readonly capacities: Capacities;
  readonly assumptions: Record<string, number | string>;
}

function check(name: string, value: number | undefined, rule: { min: number; max?: number; integer?: boolean }): void {
  if (value === undefined) return;
  const bad = !Number.isFinite(value) || value < rule.min || (rule.max !== undefined && value > rule.max) || (rule.integer && !Number.isInteger(value));
  if (bad) throw new PlanInputError(`${name} must be ${rule.integer ? 'a whole number' : 'a number'} ${rule.max === undefined ? `≥ ${rule.min}` : `from ${rule.min} to ${rule.max}`} (got ${value})`);
}

/** Bad input is the caller's to fix: one message naming the option and its rule. */
export function validatePlanInput(input: PlanInput): void {
  check('--users', input.users, { min: 1, max: 100_000_000, integer: true });
  check('--rps', input.rps, { min: 0, max: 100_000_000 });
  check('--jobs-per-minute', input.jobsPerMinute, { min: 0, max: 1_000_000_000 });
  check('--sockets', input.sockets, { min: 0, max: 1_000_000_000, integer: true });
  check('--headroom', input.headroom, { min: 1, max: 10 });
  check('--job-ms', input.jobCpuMs, { min: 0, max: 3_600_000 });
  check('--redirect-share', input.redirectShare, { min: 0, max: 1 });
  check('databases', input.databases, { min: 1, max: 1000, integer: true });
  check('DB_POOL_MAX', input.dbPoolMax, { min: 1, max: 1000, integer: true });
  if (input.queue !== undefined && input.queue !== 'redis' && input.queue !== 'database') throw new PlanInputError(`--queue must be redis or database (got ${String(input.queue)})`);
}

export function loadOf(input: PlanInput): Load {
  const derived: Load['derived'][number][] = [];
  const or = <T extends number>(given: T | undefined, name: Load['derived'][number], value: number) => {
    if (given !== undefined) return given;
    derived.push(name);
    return value;
  };
  return {
    users: input.users,
    rps: or(input.rps, 'rps', (input.users * ASSUMPTIONS.requestsPerUserPerMinute) / 60),
    jobsPerMinute: or(input.jobsPerMinute, 'jobsPerMinute', input.users * ASSUMPTIONS.jobsPerUserPerMinute),
    sockets: or(input.sockets, 'sockets', input.users * ASSUMPTIONS.socketsPerUser),
    derived,
  };
}

interface Choice {
  readonly instance: Instance;
  readonly nodes: number;
  readonly perNode: number;
  readonly cost: number;
}

/** The cheapest way to get `units` of capacity from one instance type (fewer nodes on a tie). */
function cheapest(candidates: readonly { instance: Instance; perNode: number }[], units: number, minimum: number): Choice | undefined {
  let best: Choice | undefined;
  for (const { instance, perNode } of candidates) {
    if (perNode <= 0) continue;
    const nodes = Math.max(minimum, Math.ceil(units / perNode - 1e-9));
    const cost = nodes * instance.monthly;
    if (!best || cost < best.cost || (cost === best.cost && nodes < best.nodes)) best = { instance, nodes, perNode, cost };
  }
  return best;
}

const forRole = (prices: PriceTable, role: NodeRole) => prices.instances.filter((i) => i.roles.includes(role));

/** Marg processes that fit in a node's memory, at most one per vCPU (`WEB_CONCURRENCY`), at least... none if even one does not fit. */
function processesFor(instance: Instance, rssMb: number): number {
  return Math.min(instance.vcpus, Math.floor((instance.memoryGb * 1024 * ASSUMPTIONS.processMemoryShare) / rssMb));
}

/** Capacity ≥ need, forgiving the last bits of floating point (1,000.0000000001 writes/s fit in 1,000). */
const fits = (capacity: number, need: number) => capacity >= need * (1 - 1e-9);

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The plan: nodes per role, Redis and database sizing, monthly cost. Pure: the same inputs give
 * the same plan. Each role gets capacity ≥ peak load × headroom, from the cheapest instance type of
 * the price table that can hold it, and at least the nodes its phase runs with.
 */
export function plan(input: PlanInput, capacities: Capacities, prices: PriceTable): Plan {
  validatePlanInput(input);
  const headroom = input.headroom ?? ASSUMPTIONS.headroom;
  const jobCpuMs = input.jobCpuMs ?? ASSUMPTIONS.jobCpuMs;
  const redirectShare = input.redirectShare ?? 0;
  const queueDriver = input.queue ?? 'redis';
  const databases = input.databases ?? 1;
  const dbPoolMax = input.dbPoolMax ?? ASSUMPTIONS.dbPoolMax;
  const load = loadOf(input);
  const jobsPerSecond = load.jobsPerMinute / 60;
  const warnings: string[] = [];

  // Web: requests per core for the mix of route classes (time per request adds up).
  const webPerCore = 1 / ((1 - redirectShare) / capacities.web.signedInJson + redirectShare / capacities.web.cachedRedirect);
  const webCores = (load.rps * headroom) / webPerCore;
  // Worker: the queue's own cost per job (measured) plus the job's work (assumed).
  const jobsPerCore = 1 / (1 / capacities.queue.jobsPerCoreSecond + jobCpuMs / 1000);
  const workerCores = (jobsPerSecond * headroom) / jobsPerCore;
  const socketsPerNode = capacities.realtime.sockets;
  const socketMb = capacities.realtime.rssMb / capacities.realtime.sockets;

  // Redis and the database: the load, and the cheapest tier that carries it.
  const redisOps = load.rps * ASSUMPTIONS.redisOpsPerRequest + (queueDriver === 'redis' ? jobsPerSecond * ASSUMPTIONS.redisOpsPerJob : 0);
  const redisMemoryMb = (load.users * ASSUMPTIONS.sessionsPerUser * ASSUMPTIONS.sessionKb) / 1024 + ASSUMPTIONS.redisCacheMb;
  const reads = load.rps * (1 - ASSUMPTIONS.writeShare);
  const writes = load.rps * ASSUMPTIONS.writeShare + jobsPerSecond * (ASSUMPTIONS.queriesPerJob + (queueDriver === 'database' ? ASSUMPTIONS.databaseQueueQueriesPerJob : 0));

  const sized = (phase: Phase) => {
    const min = phase.minimum;
    const web = cheapest(forRole(prices, 'web').map((instance) => ({ instance, perNode: processesFor(instance, capacities.web.peakRssMb) })), webCores, min.web);
    const worker = cheapest(forRole(prices, 'worker').map((instance) => ({ instance, perNode: processesFor(instance, capacities.web.peakRssMb) })), workerCores, min.worker);
    const realtimeCandidates = forRole(prices, 'realtime').map((instance) => ({
      instance,
      perNode: Math.min(socketsPerNode, Math.floor((instance.memoryGb * 1024 * ASSUMPTIONS.processMemoryShare) / socketMb)),
    }));
    const realtime = load.sockets > 0 ? cheapest(realtimeCandidates, load.sockets * headroom, min.realtime) : undefined;
    const redisTiers = forRole(prices, 'redis').filter((i) => fits(i.opsPerSecond!, redisOps * headroom) && fits(i.memoryGb * 1024 * ASSUMPTIONS.redisMemoryShare, redisMemoryMb * headroom));
    const redis = cheapest(redisTiers.map((instance) => ({ instance, perNode: 1 })), min.redis, min.redis);
    // Read replicas are a Phase 4 layout: before it, one primary carries everything or the phase moves on.
    const database = sizeDatabase(prices, reads * headroom, writes * headroom, min.replicas, phase.number < 4 ? 0 : Infinity);
    return { web, worker, realtime, redis, database };
  };

  // The phase: the one the users' number gives, or a later one when the load needs its layout.
  let phase = phaseForUsers(load.users);
  const phaseReasons = [`${load.users.toLocaleString('en-US')} active users: Phase ${phase.number} by the guide (${phase.maxUsers === undefined ? 'no upper bound' : `up to ${phase.maxUsers.toLocaleString('en-US')}`})`];
  if (phase.maxUsers !== undefined && load.users > phase.maxUsers) phaseReasons.push(`more users than the guide's last phase names: Phase 4 scaled out`);
  let layout = sized(phase);
  for (;;) {
    const needs: string[] = [];
    let next = phase.number;
    if (phase.number < 3 && ((layout.web?.nodes ?? 2) > 1 || (layout.worker?.nodes ?? 2) > 1 || (layout.realtime?.nodes ?? 0) > 1)) {
      needs.push('more than one web, worker or realtime node: a load balancer and horizontal scaling (Phase 3)');
      next = 3;
    }
    if (phase.number < 4 && (!layout.redis || !layout.database.fitsWithoutReplicas)) {
      needs.push(layout.redis ? 'more database reads than one server carries: read replicas (Phase 4)' : 'more than one Redis tier carries: Phase 4');
      next = 4;
    }
    if (next === phase.number) break;
    phaseReasons.push(`the load needs ${needs.join('; ')}`);
    phase = phaseNumbered(next);
    layout = sized(phase);
  }

  const roles: RolePlan[] = [];
  const utilisation = (loadUnits: number, capacity: number) => (capacity > 0 ? round(loadUnits / capacity, 4) : Infinity);
  const limit = 1 / headroom + 1e-9;

  if (!layout.web) throw new PlanInputError(`no web instance in the price table holds one web process (peak RSS ${capacities.web.peakRssMb} MB at ${ASSUMPTIONS.processMemoryShare * 100}% of its memory)`);
  {
    const { instance, nodes, perNode, cost } = layout.web;
    const u = utilisation(load.rps, nodes * perNode * webPerCore);
    roles.push({ role: 'web', nodes, instance, monthly: cost, processesPerNode: perNode, utilisation: u, overloaded: u > limit, detail: `WEB_CONCURRENCY=${perNode}; ${Math.round(webPerCore).toLocaleString('en-US')} requests/s per process` });
  }
  if (!layout.worker) throw new PlanInputError(`no worker instance in the price table holds one worker process (peak RSS ${capacities.web.peakRssMb} MB)`);
  {
    const { instance, nodes, perNode, cost } = layout.worker;
    const u = utilisation(jobsPerSecond, nodes * perNode * jobsPerCore);
    roles.push({ role: 'worker', nodes, instance, monthly: cost, processesPerNode: perNode, utilisation: u, overloaded: u > limit, detail: `${perNode} × marg work per node; ${Math.round(jobsPerCore * 60).toLocaleString('en-US')} jobs/minute per process (${jobCpuMs} ms of work per job)` });
  }
  if (load.sockets > 0) {
    if (!layout.realtime) throw new PlanInputError('the price table has no instance for the realtime role (needed for --sockets > 0)');
    const { instance, nodes, perNode, cost } = layout.realtime;
    const u = utilisation(load.sockets, nodes * perNode);
    roles.push({ role: 'realtime', nodes, instance, monthly: cost, processesPerNode: 1, utilisation: u, overloaded: u > limit, detail: `${perNode.toLocaleString('en-US')} sockets per node` });
  } else {
    roles.push({ role: 'realtime', nodes: 0, instance: undefined, monthly: 0, processesPerNode: 0, utilisation: 0, overloaded: false, detail: 'no sockets asked for' });
  }
  roles.push({ role: 'scheduler', nodes: 1, instance: undefined, monthly: 0, processesPerNode: 1, utilisation: 0, overloaded: false, detail: 'one marg schedule on the first worker node (a lock keeps each tick single)' });

  let redisChoice = layout.redis;
  if (!redisChoice) {
    const biggest = [...forRole(prices, 'redis')].sort((a, b) => b.opsPerSecond! - a.opsPerSecond!)[0]!;
    redisChoice = { instance: biggest, nodes: phase.minimum.redis, perNode: 1, cost: biggest.monthly * phase.minimum.redis };
    warnings.push(`Redis: ${Math.round(redisOps).toLocaleString('en-US')} ops/s and ${Math.round(redisMemoryMb)} MB × ${headroom} headroom is more than the largest Redis in the price table (${biggest.name}); split sessions, cache and queue onto separate Redis servers or add a larger tier`);
  }
  {
    const { instance, nodes, cost } = redisChoice;
    const u = Math.max(utilisation(redisOps, instance.opsPerSecond!), utilisation(redisMemoryMb, instance.memoryGb * 1024 * ASSUMPTIONS.redisMemoryShare));
    roles.push({ role: 'redis', nodes, instance, monthly: cost, processesPerNode: 1, utilisation: u, overloaded: u > limit, detail: nodes > 1 ? `a primary and ${nodes - 1} replicas under Redis Sentinel; maxmemory ${Math.round(instance.memoryGb * 1024 * ASSUMPTIONS.redisMemoryShare)} MB` : `maxmemory ${Math.round(instance.memoryGb * 1024 * ASSUMPTIONS.redisMemoryShare)} MB` });
  }
  {
    const db = layout.database;
    if (db.overloaded) warnings.push(`database: ${Math.round(writes).toLocaleString('en-US')} writes/s × ${headroom} headroom is more than the largest primary in the price table (${db.primary.name}) carries; a larger primary or splitting the apps' databases onto separate servers is needed`);
    const capacity = db.primary.queriesPerSecond! + db.replicas * (db.replica?.queriesPerSecond ?? 0);
    const u = utilisation(reads + writes, capacity);
    roles.push({ role: 'database', nodes: 1, instance: db.primary, monthly: db.primary.monthly, processesPerNode: 1, utilisation: u, overloaded: db.overloaded || u > limit, detail: `primary: every write${db.replicas > 0 ? '' : ' and read'}` });
    if (db.replicas > 0 && db.replica) roles.push({ role: 'replica', nodes: db.replicas, instance: db.replica, monthly: db.replicas * db.replica.monthly, processesPerNode: 1, utilisation: u, overloaded: db.overloaded || u > limit, detail: 'reads (DB_READ_HOSTS)' });
  }

  // Connections: every web and worker process (and the scheduler) may open DB_POOL_MAX per database.
  const processes = roles.filter((r) => r.role === 'web' || r.role === 'worker').reduce((n, r) => n + r.nodes * r.processesPerNode, 0) + 1;
  const connections = processes * databases * dbPoolMax;
  const maxConnections = ASSUMPTIONS.databaseMaxConnections;
  const suggestedPoolMax = connections > maxConnections ? Math.max(1, Math.floor(maxConnections / (processes * databases))) : undefined;
  if (suggestedPoolMax !== undefined)
    warnings.push(`database connections: ${processes} processes × ${databases} databases × DB_POOL_MAX ${dbPoolMax} = ${connections}, over the guide's max_connections ${maxConnections}; set DB_POOL_MAX=${suggestedPoolMax} or raise max_connections`);
  for (const r of roles) if (r.overloaded && r.role !== 'database' && r.role !== 'replica' && r.role !== 'redis') warnings.push(`${r.role}: over capacity at ${headroom}× headroom`);

  const loadBalancer = { kind: phase.loadBalancer, monthly: phase.loadBalancer === 'none' ? 0 : prices.loadBalancer[phase.loadBalancer] };
  const monthly = round(roles.reduce((sum, r) => sum + r.monthly, 0) + loadBalancer.monthly);
  return {
    load,
    headroom,
    phase,
    phaseReasons,
    roles,
    loadBalancer,
    redis: { opsPerSecond: round(redisOps), memoryMb: round(redisMemoryMb) },
    database: { readsPerSecond: round(reads), writesPerSecond: round(writes), connections, maxConnections, suggestedPoolMax },
    monthly,
    currency: prices.currency,
    warnings,
    capacities,
    assumptions: { ...ASSUMPTIONS, headroom, jobCpuMs, redirectShare, queue: queueDriver, databases, dbPoolMax },
  };
}

interface DatabaseSizing {
  readonly primary: Instance;
  readonly replica: Instance | undefined;
  readonly replicas: number;
  readonly fitsWithoutReplicas: boolean;
  readonly overloaded: boolean;
}

/**
 * The cheapest primary (+ replicas) for reads and writes already multiplied by the headroom:
 * writes go to the primary; reads it has no room for go to replicas.
 */
function sizeDatabase(prices: PriceTable, reads: number, writes: number, minimumReplicas: number, maximumReplicas: number): DatabaseSizing {
  const primaries = forRole(prices, 'database');
  const replica = [...forRole(prices, 'replica')].sort((a, b) => a.monthly / a.queriesPerSecond! - b.monthly / b.queriesPerSecond!)[0];
  const fitsWithoutReplicas = primaries.some((p) => fits(p.queriesPerSecond!, reads + writes));
  let best: (DatabaseSizing & { cost: number }) | undefined;
  for (const primary of primaries) {
    const qps = primary.queriesPerSecond!;
    if (!fits(qps, writes)) continue;
    const spill = fits(qps, reads + writes) ? 0 : reads + writes - qps;
    if (spill > 0 && !replica) continue;
    const replicas = Math.max(minimumReplicas, replica && spill > 0 ? Math.ceil(spill / replica.queriesPerSecond! - 1e-9) : 0);
    if (spill > 0 && replicas > maximumReplicas) continue;
    const cost = primary.monthly + replicas * (replica?.monthly ?? 0);
    if (!best || cost < best.cost) best = { primary, replica, replicas: replica ? replicas : 0, fitsWithoutReplicas, overloaded: false, cost };
  }
  if (best) return best;
  const largest = [...primaries].sort((a, b) => b.queriesPerSecond! - a.queriesPerSecond!)[0]!;
  const replicas = replica ? Math.max(minimumReplicas, Math.ceil(reads / replica.queriesPerSecond!)) : 0;
  return { primary: largest, replica, replicas, fitsWithoutReplicas, overloaded: true };
}
