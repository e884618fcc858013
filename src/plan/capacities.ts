import { Type, type Static } from '@sinclair/typebox';
import { firstErrors } from './validate.ts';

/**
 * What `npm run bench` (bench/http.ts, bench/queue.ts, bench/realtime.ts) measured on one
 * machine, as written to bench/capacity.json. Each benchmark replaces only its own section, so
 * a section carries its own machine and date.
 */
const Machine = Type.Object({
  cpu: Type.String(),
  cores: Type.Integer({ minimum: 1 }),
  node: Type.String(),
});

const Measured = {
  measuredAt: Type.String({ minLength: 1 }),
  machine: Machine,
  command: Type.String(),
};

const Rate = Type.Number({ exclusiveMinimum: 0 });

/** Requests per second of one core (requests ÷ the server's CPU seconds, median of the rounds). */
const WebRates = Type.Object({
  signedInJson: Rate,
  cachedRedirect: Rate,
  /** Peak resident memory of one web process under that load (VmHWM). */
  peakRssMb: Rate,
});

/** No-op jobs per second of one consumer core (1000 ÷ consumer CPU ms per job, median). */
const QueueRates = Type.Object({
  jobsPerCoreSecond: Rate,
  /** End to end, producer → store → consumer, median of the rounds: what the store allowed. */
  jobsPerSecond: Rate,
});

export const CapacityFileSchema = Type.Object({
  version: Type.Literal(1),
  web: Type.Optional(Type.Object({ ...Measured, drivers: Type.Object({ embedded: Type.Optional(WebRates), servers: Type.Optional(WebRates) }) })),
  queue: Type.Optional(Type.Object({ ...Measured, drivers: Type.Object({ redis: Type.Optional(QueueRates), database: Type.Optional(QueueRates) }) })),
  realtime: Type.Optional(
    Type.Object({
      ...Measured,
      /** Sockets held open on one node in the run (each on three channels). */
      sockets: Type.Integer({ minimum: 1 }),
      rssMb: Rate,
      fanoutPerSecond: Rate,
    }),
  ),
});

export type CapacityFile = Static<typeof CapacityFileSchema>;
export type WebRates = Static<typeof WebRates>;
export type QueueRates = Static<typeof QueueRates>;
export type QueueDriver = 'redis' | 'database';

/**
 * The numbers used when nothing was measured: bench/RESULTS.md on the development machine
 * (2 vCPU AMD EPYC, Node 20; web run 3, queue run 2, realtime rerun of 2026-12-06), servers
 * drivers (Redis + MariaDB) for the web.
 */
export const DEFAULT_CAPACITIES = {
  source: 'bench/RESULTS.md (2 vCPU AMD EPYC, Node 20, 2026-11/12)',
  web: {
    embedded: { signedInJson: 3_645, cachedRedirect: 4_696, peakRssMb: 265 },
    servers: { signedInJson: 3_109, cachedRedirect: 3_789, peakRssMb: 265 },
  },
  queue: {
    // 1000 ÷ 0.097 and 1000 ÷ 0.143 consumer CPU ms per job.
    redis: { jobsPerCoreSecond: 10_309, jobsPerSecond: 5_765 },
    database: { jobsPerCoreSecond: 6_993, jobsPerSecond: 2_896 },
  },
  realtime: { sockets: 10_000, rssMb: 176, fanoutPerSecond: 84_104 },
} as const;

/** The capacities a plan uses, each with where it came from. */
export interface Capacities {
  readonly web: WebRates & { readonly drivers: 'servers' | 'embedded'; readonly source: string };
  readonly queue: QueueRates & { readonly driver: QueueDriver; readonly source: string };
  readonly realtime: { readonly sockets: number; readonly rssMb: number; readonly source: string };
}

export class CapacityFileError extends Error {}

/** Checks a parsed bench/capacity.json; the error names the file and the first wrong fields. */
export function parseCapacityFile(value: unknown, name: string): CapacityFile {
  const errors = firstErrors(CapacityFileSchema, value);
  if (errors) throw new CapacityFileError(`${name} is not a capacity file (written by npm run bench): ${errors}`);
  return value as CapacityFile;
}

const described = (section: { measuredAt: string; machine: { cpu: string; cores: number } }, name: string) =>
  `measured ${section.measuredAt.slice(0, 10)} on ${section.machine.cores} × ${section.machine.cpu} (${name})`;

/**
 * Measured numbers where the file has them, the defaults elsewhere. The web uses the servers
 * drivers (Redis + MariaDB: what a cluster runs) when they were measured, else the embedded ones.
 */
export function resolveCapacities(file: CapacityFile | undefined, name: string, queueDriver: QueueDriver): Capacities {
  const fallback = `default: ${DEFAULT_CAPACITIES.source}`;
  const webDrivers = file?.web?.drivers;
  const webMeasured = webDrivers?.servers ? { drivers: 'servers' as const, rates: webDrivers.servers } : webDrivers?.embedded ? { drivers: 'embedded' as const, rates: webDrivers.embedded } : undefined;
  const web = webMeasured && file?.web
    ? { ...webMeasured.rates, drivers: webMeasured.drivers, source: described(file.web, name) }
    : { ...DEFAULT_CAPACITIES.web.servers, drivers: 'servers' as const, source: fallback };
  const queueMeasured = file?.queue?.drivers[queueDriver];
  const queue = queueMeasured && file?.queue
    ? { ...queueMeasured, driver: queueDriver, source: described(file.queue, name) }
    : { ...DEFAULT_CAPACITIES.queue[queueDriver], driver: queueDriver, source: fallback };
  const realtime = file?.realtime
    ? { sockets: file.realtime.sockets, rssMb: file.realtime.rssMb, source: described(file.realtime, name) }
    : { sockets: DEFAULT_CAPACITIES.realtime.sockets, rssMb: DEFAULT_CAPACITIES.realtime.rssMb, source: fallback };
  return { web, queue, realtime };
}
