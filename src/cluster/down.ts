import { stopMember } from './members.ts';
import { stopRecorded, type StopOutcome } from './processes.ts';
import { acquireLock, readState, removeState, type ClusterState } from './state.ts';
import { ClusterError } from './site.ts';

export interface StoppedProcess {
  readonly name: string;
  readonly pid: number;
  readonly outcome: StopOutcome;
}

/**
 * Stops what the state file records, and nothing else: each pid only while it is still the
 * process that was started (start time and command line), gracefully, then SIGKILL after a
 * bound. The balancer first (no new requests), then every member at once, then the own Redis.
 */
export async function stopCluster(state: ClusterState, onStopped: (stopped: StoppedProcess) => void = () => {}): Promise<StoppedProcess[]> {
  const stopped: StoppedProcess[] = [];
  const note = (name: string, pid: number, outcome: StopOutcome) => {
    const entry = { name, pid, outcome };
    stopped.push(entry);
    onStopped(entry);
  };
  const balancer = state.balancer.process;
  if (balancer) note(state.balancer.kind, balancer.pid, await stopRecorded(balancer, 15_000));
  await Promise.all(state.members.map(async (m) => note(m.name, m.process.pid, await stopMember(m, state.drainSeconds))));
  if (state.redis) note('redis', state.redis.process.pid, await stopRecorded(state.redis.process, 10_000));
  return stopped;
}

/** `marg cluster down`: stops everything, then removes the state file. */
export async function clusterDown(dir: string, onStopped?: (stopped: StoppedProcess) => void): Promise<StoppedProcess[]> {
  const release = acquireLock(dir);
  try {
    const state = readState(dir);
    if (!state) throw new ClusterError(`no cluster runs from ${dir}: nothing to stop`);
    try {
      return await stopCluster(state, onStopped);
    } finally {
      removeState(dir);
    }
  } finally {
    release();
  }
}
