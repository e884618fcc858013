import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { alive } from './processes.ts';

const Recorded = Type.Object({
  pid: Type.Integer({ minimum: 2 }),
  startTime: Type.String({ minLength: 1 }),
  marks: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  stopSignal: Type.Union([Type.Literal('SIGTERM'), Type.Literal('SIGUSR1'), Type.Literal('SIGQUIT')]),
  log: Type.String(),
});

const Member = Type.Object({
  name: Type.String({ pattern: '^[a-z]+-\\d+$' }),
  role: Type.Union([Type.Literal('web'), Type.Literal('worker'), Type.Literal('scheduler'), Type.Literal('realtime')]),
  /** Web nodes: the loopback port the node listens on. */
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** With METRICS_PORT set: this member's own /metrics port (they cannot share one). */
  metricsPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  process: Recorded,
});

const StateSchema = Type.Object({
  version: Type.Literal(1),
  createdAt: Type.String(),
  cwd: Type.String(),
  balancer: Type.Object({
    kind: Type.Union([Type.Literal('haproxy'), Type.Literal('nginx')]),
    host: Type.String(),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    config: Type.String(),
    /** HAProxy's runtime API (admin level, mode 600). */
    socket: Type.Optional(Type.String()),
    process: Type.Optional(Recorded),
    /** The host name routed to the realtime nodes (REVERB_HOST, default ws.<MARG_DOMAIN>). */
    realtimeHost: Type.Optional(Type.String()),
  }),
  /** `--own-redis`: the private redis-server the cluster started. */
  redis: Type.Optional(Type.Object({ port: Type.Integer(), process: Recorded })),
  /** Variables every member gets on top of the invoking environment (never secrets: this file is plain text). */
  env: Type.Record(Type.String(), Type.String()),
  drainSeconds: Type.Number({ minimum: 0 }),
  /** Last number used per role: new members get the next one (web-4 replaces web-1 in a roll). */
  counters: Type.Object({ web: Type.Integer(), worker: Type.Integer(), scheduler: Type.Integer(), realtime: Type.Optional(Type.Integer()) }),
  members: Type.Array(Member),
});

export type ClusterState = Static<typeof StateSchema>;
export type Member = Static<typeof Member>;
export type Role = Member['role'];

/** Where a cluster keeps its state, rendered configs and logs: `<STORAGE_PATH>/cluster` unless `--dir`. */
export function statePaths(dir: string) {
  return {
    dir,
    state: join(dir, 'state.json'),
    lock: join(dir, 'state.lock'),
    logs: join(dir, 'logs'),
  };
}

export function readState(dir: string): ClusterState | undefined {
  const path = statePaths(dir).state;
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); remove it once its processes are stopped`);
  }
  if (!Value.Check(StateSchema, parsed)) {
    const first = [...Value.Errors(StateSchema, parsed)][0];
    throw new Error(`${path} is not a marg cluster state file (${first ? `${first.path}: ${first.message}` : 'invalid'})`);
  }
  return parsed;
}

/** Written to a temp file and renamed: a reader never sees half a state. */
export function writeState(dir: string, state: ClusterState): void {
  const path = statePaths(dir).state;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

export function removeState(dir: string): void {
  rmSync(statePaths(dir).state, { force: true });
}

export class ClusterBusyError extends Error {}

/**
 * One changing command (`up`, `roll`, `down`) at a time per state dir: an exclusive lock file
 * holding the owner's pid; a lock whose owner is gone is taken over.
 */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = statePaths(dir).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new ClusterBusyError(`another \`marg cluster\` command (pid ${owner}) is changing this cluster; wait for it to finish`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new ClusterBusyError(`could not take the lock ${path}`);
}
