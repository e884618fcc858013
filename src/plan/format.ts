import type { Plan } from './plan.ts';

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const pct = (value: number) => (Number.isFinite(value) ? `${Math.round(value * 100)}%` : '—');
const money = (value: number, currency: string) => `${currency === 'USD' ? '$' : `${currency} `}${value.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
const gb = (value: number) => (value < 1 ? `${Math.round(value * 1024)} MB` : `${value} GB`);

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd());
}

/** The plan as the terminal shows it: the phase, a table of nodes, sizing, cost, and what was assumed. */
export function formatPlan(plan: Plan, sources: { readonly prices: string }): string {
  const { load, phase } = plan;
  const given = (field: 'rps' | 'jobsPerMinute' | 'sockets', text: string, assumed: string) => `${text}${load.derived.includes(field) ? ` (assumed: ${assumed})` : ''}`;
  const a = plan.assumptions;
  const lines: string[] = [
    `Load at the peak: ${n(load.users)} active users, ` +
      given('rps', `${load.rps.toLocaleString('en-US', { maximumFractionDigits: 1 })} requests/s`, `${a.requestsPerUserPerMinute} per user per minute, the guide's figure`) +
      ', ' +
      given('jobsPerMinute', `${n(load.jobsPerMinute)} jobs/minute`, `${a.jobsPerUserPerMinute} per user, the guide's Phase 2 worker`) +
      ', ' +
      given('sockets', `${n(load.sockets)} sockets`, `${a.socketsPerUser} per user`) +
      '.',
    '',
    `Phase ${phase.number} of the guides: ${phase.name} (${phase.layout}; the guide's cost: ${phase.guideCost}).`,
    ...plan.phaseReasons.map((r) => `  - ${r}`),
    '',
    'Nodes:',
    ...table([
      ['role', 'nodes', 'instance', 'vCPU', 'RAM', 'each', 'per month', 'peak use', 'notes'],
      ...plan.roles.map((r) => [
        r.role,
        String(r.nodes),
        r.instance?.name ?? '(shared)',
        r.instance ? String(r.instance.vcpus) : '',
        r.instance ? gb(r.instance.memoryGb) : '',
        r.instance ? money(r.instance.monthly, plan.currency) : '',
        money(r.monthly, plan.currency),
        r.instance ? `${pct(r.utilisation)}${r.overloaded ? ' OVER' : ''}` : '',
        r.detail,
      ]),
      ...(plan.loadBalancer.kind === 'none' ? [] : [['balancer', plan.loadBalancer.kind === 'redundant' ? '2' : '1', plan.loadBalancer.kind, '', '', '', money(plan.loadBalancer.monthly, plan.currency), '', 'HAProxy or nginx in front of the web nodes']]),
    ]),
    '',
    `Redis: ${n(plan.redis.opsPerSecond)} ops/s and ${n(plan.redis.memoryMb)} MB (sessions ${a.sessionsPerUser} × ${a.sessionKb} KB per user + ${a.redisCacheMb} MB cache) at the peak.`,
    `Database: ${n(plan.database.readsPerSecond)} reads/s, ${n(plan.database.writesPerSecond)} writes/s at the peak (queue on ${a.queue}); ` +
      `up to ${n(plan.database.connections)} connections (${a.databases} databases × DB_POOL_MAX ${a.dbPoolMax} per process; max_connections ${plan.database.maxConnections}).`,
    '',
    `Monthly cost: ${money(plan.monthly, plan.currency)} (prices: ${sources.prices}).`,
    `Headroom: ${plan.headroom}× — every role has at least ${plan.headroom} times its peak load in capacity (peak use ≤ ${pct(1 / plan.headroom)}).`,
    '',
    'Capacities used (per core):',
    `  web: ${n(plan.capacities.web.signedInJson)} signed-in JSON requests/s, ${n(plan.capacities.web.cachedRedirect)} cached redirects/s, peak RSS ${n(plan.capacities.web.peakRssMb)} MB, ${plan.capacities.web.drivers} drivers — ${plan.capacities.web.source}`,
    `  queue (${plan.capacities.queue.driver}): ${n(plan.capacities.queue.jobsPerCoreSecond)} no-op jobs/s + ${a.jobCpuMs} ms of work per job — ${plan.capacities.queue.source}`,
    `  realtime: ${n(plan.capacities.realtime.sockets)} sockets per node, RSS ${n(plan.capacities.realtime.rssMb)} MB — ${plan.capacities.realtime.source}`,
    `Assumed: ${a.redirectShare === 0 ? 'every request a signed-in JSON request' : `${pct(Number(a.redirectShare))} of requests cached redirects`}, ${pct(a.writeShare as number)} of requests write a row, ` +
      `${a.redisOpsPerRequest} Redis ops per request and ${a.redisOpsPerJob} per job, Redis maxmemory ${pct(a.redisMemoryShare as number)} of RAM, Marg processes in ${pct(a.processMemoryShare as number)} of a node's RAM.`,
  ];
  if (plan.warnings.length > 0) lines.push('', 'Warnings:', ...plan.warnings.map((w) => `  - ${w}`));
  return `${lines.join('\n')}\n`;
}
