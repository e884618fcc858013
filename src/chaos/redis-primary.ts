import { processStartTime, signalRecorded, type RecordedProcess } from '../cluster/processes.ts';
import { withOneShotRedis } from '../redis/one-shot.ts';
import type { RedisSettings } from '../redis/settings.ts';
import type { Target } from './contract.ts';
import { runKillHook } from './kill-hook.ts';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The primary as the first answering Sentinel names it now. */
export async function sentinelPrimary(settings: RedisSettings): Promise<HostPort> {
  for (const sentinel of settings.sentinels) {
    try {
      const answer = await withOneShotRedis({ host: sentinel.host, port: sentinel.port, password: settings.sentinelPassword }, (c) =>
        c.call('SENTINEL', 'get-master-addr-by-name', settings.sentinelService ?? 'mymaster'),
      );
      if (Array.isArray(answer) && answer.length === 2) return { host: String(answer[0]), port: Number(answer[1]) };
    } catch {
      // that Sentinel is down or does not know the service: ask the next one
    }
  }
  throw new Error(`no Sentinel of ${settings.sentinels.map((s) => `${s.host}:${s.port}`).join(',')} named a primary for ${settings.sentinelService ?? 'mymaster'}`);
}

/**
 * The Redis primary behind Sentinel. Killed by the operator's command when given; otherwise,
 * only on this machine, by the pid the primary reports itself (INFO server `process_id`),
 * checked to be a running redis-server before SIGKILL.
 */
export async function redisPrimaryTarget(settings: RedisSettings, hook: string | undefined): Promise<Target> {
  const primary = await sentinelPrimary(settings);
  const noticed = async () => {
    const now = await sentinelPrimary(settings).catch(() => primary);
    return now.host !== primary.host || now.port !== primary.port;
  };
  const where = `${primary.host}:${primary.port}`;
  if (hook) {
    return { kind: 'redis-primary', label: `redis primary ${where} (your command)`, noticedBy: 'sentinel', noticed, kill: () => runKillHook(hook, { MARG_CHAOS_EXPERIMENT: 'redis-primary', MARG_CHAOS_HOST: primary.host, MARG_CHAOS_PORT: String(primary.port) }) };
  }
  if (!isLoopback(primary.host)) throw new Error(`the Redis primary ${where} is not on this machine: give --kill-cmd redis-primary='…'`);
  const info = await withOneShotRedis({ host: primary.host, port: primary.port, password: settings.password, username: settings.username }, (c) => c.info('server'));
  const pid = Number(/^process_id:(\d+)\r?$/m.exec(info)?.[1]);
  const startTime = processStartTime(pid);
  if (!startTime) throw new Error(`the Redis primary ${where} reports pid ${pid}, which does not run here (another machine or container?): give --kill-cmd redis-primary='…'`);
  const recorded: RecordedProcess = { pid, startTime, marks: ['redis-server'], stopSignal: 'SIGTERM', log: '' };
  return {
    kind: 'redis-primary',
    label: `redis primary ${where} (pid ${pid})`,
    noticedBy: 'sentinel',
    noticed,
    async kill() {
      if (!signalRecorded(recorded, 'SIGKILL')) throw new Error(`pid ${pid} is no longer the redis-server of ${where}: nothing was killed`);
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
