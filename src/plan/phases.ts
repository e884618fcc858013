/**
 * The phases of the MARG infrastructure guide (shared/reference): which layout each one runs
 * and for how many active users its heading says it is meant. The guide's own cost tables say
 * more than its headings ("Handles: 500-5,000" under Phase 2); the headings are used here, the
 * lower and more careful reading. docs/capacity.md compares.
 */
export interface Phase {
  readonly number: 2 | 3 | 4;
  readonly name: string;
  /** Most active users the guide's heading gives this phase (undefined: no upper bound). */
  readonly maxUsers: number | undefined;
  readonly layout: string;
  /** The guide's monthly total for this phase, as written there. */
  readonly guideCost: string;
  /** Fewest nodes per role this phase runs with (its redundancy), whatever the load. */
  readonly minimum: { readonly web: number; readonly worker: number; readonly realtime: number; readonly redis: number; readonly replicas: number };
  readonly loadBalancer: 'none' | 'single' | 'redundant';
}

export const PHASES: readonly Phase[] = [
  {
    number: 2,
    name: 'Production Ready',
    maxUsers: 500,
    layout: 'one HTTP server, one Redis, one MySQL, one queue worker',
    guideCost: '$35–45/month',
    minimum: { web: 1, worker: 1, realtime: 1, redis: 1, replicas: 0 },
    loadBalancer: 'none',
  },
  {
    number: 3,
    name: 'Horizontal Scaling',
    maxUsers: 5_000,
    layout: 'a load balancer, several HTTP servers and workers, upgraded Redis and MySQL',
    guideCost: '$105/month',
    minimum: { web: 2, worker: 2, realtime: 1, redis: 1, replicas: 0 },
    loadBalancer: 'single',
  },
  {
    number: 4,
    name: 'High Availability',
    maxUsers: 50_000,
    layout: 'a redundant load balancer, Redis Sentinel (3 nodes), a MySQL primary with read replicas',
    guideCost: '$315/month',
    minimum: { web: 2, worker: 2, realtime: 2, redis: 3, replicas: 2 },
    loadBalancer: 'redundant',
  },
];

/** The phase the guide's headings give for this many active users (past the last: the last). */
export function phaseForUsers(users: number): Phase {
  return PHASES.find((p) => p.maxUsers === undefined || users <= p.maxUsers) ?? PHASES[PHASES.length - 1]!;
}

export function phaseNumbered(number: number): Phase {
  const phase = PHASES.find((p) => p.number === number);
  if (!phase) throw new Error(`no phase ${number}`);
  return phase;
}
