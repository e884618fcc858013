import type { Redis } from 'ioredis';
import { WINDOW_MINUTES, type MinuteSample, type NodeBeat, type NodeSample, type TelemetryStore } from './contract.ts';

/**
 * Telemetry on Redis, under `<REDIS_PREFIX>telemetry:`: `nodes` (hash node → beat), `minutes`
 * (sorted set of the minutes held) and one hash per minute (`m:<minute>`, node → sample). Pruning
 * deletes whole minute keys; each also expires a little after the window, in case no node prunes.
 */
export class RedisTelemetryStore implements TelemetryStore {
  readonly driver = 'redis';
  readonly #nodes: string;
  readonly #minutes: string;

  constructor(private readonly client: Redis, private readonly prefix: string) {
    this.#nodes = `${prefix}nodes`;
    this.#minutes = `${prefix}minutes`;
  }

  #minuteKey(minute: number): string {
    return `${this.prefix}m:${minute}`;
  }

  async report(beat: NodeBeat, samples: readonly MinuteSample[]): Promise<void> {
    const multi = this.client.multi().hset(this.#nodes, beat.node, JSON.stringify(beat));
    for (const sample of samples) {
      const key = this.#minuteKey(sample.minute);
      multi.hset(key, beat.node, JSON.stringify(sample)).expire(key, (WINDOW_MINUTES + 60) * 60).zadd(this.#minutes, sample.minute, String(sample.minute));
    }
    await multi.exec();
  }

  async prune(beforeMinute: number, beatBefore: number): Promise<void> {
    const old = await this.client.zrangebyscore(this.#minutes, '-inf', `(${beforeMinute}`);
    if (old.length > 0) await this.client.multi().del(...old.map((m) => this.#minuteKey(Number(m)))).zremrangebyscore(this.#minutes, '-inf', `(${beforeMinute}`).exec();
    const stale = (await this.nodes()).filter((b) => b.beatAt < beatBefore).map((b) => b.node);
    if (stale.length > 0) await this.client.hdel(this.#nodes, ...stale);
  }

  async nodes(): Promise<NodeBeat[]> {
    const all = await this.client.hgetall(this.#nodes);
    return Object.values(all)
      .map((v) => JSON.parse(v) as NodeBeat)
      .sort((a, b) => a.node.localeCompare(b.node));
  }

  async samples(fromMinute: number): Promise<NodeSample[]> {
    const minutes = await this.client.zrangebyscore(this.#minutes, fromMinute, '+inf');
    if (minutes.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const m of minutes) pipeline.hgetall(this.#minuteKey(Number(m)));
    const results = (await pipeline.exec()) ?? [];
    const out: NodeSample[] = [];
    for (const [error, value] of results) {
      if (error) throw error;
      for (const [node, json] of Object.entries(value as Record<string, string>)) out.push({ node, sample: JSON.parse(json) as MinuteSample });
    }
    return out;
  }

  async footprint(): Promise<number> {
    // The minute keys plus `nodes` and `minutes`.
    return (await this.client.zcard(this.#minutes)) + 2;
  }

  async close(): Promise<void> {}
}
