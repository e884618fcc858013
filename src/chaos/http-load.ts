import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Where requests go: the address to connect to, and the Host they name (an app host behind the balancer). */
export interface LoadTarget {
  readonly url: URL;
  readonly host: string;
}

export interface Outcome {
  readonly at: number;
  readonly ok: boolean;
  /** `200`, `502`, `ECONNRESET`, `timeout`. */
  readonly what: string;
}

/**
 * Bounded, steady, signed-in load: GET `path` at `rate` per second over at most `connections`
 * keep-alive connections, until stop() or `maxRequests`. Every outcome is kept with its time,
 * so an experiment can count what failed after a kill and when requests succeeded again.
 */
export class HttpLoad {
  readonly outcomes: Outcome[] = [];
  #inFlight = 0;
  #sent = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #agent: HttpAgent;
  #idle: (() => void) | undefined;

  constructor(
    readonly target: LoadTarget,
    readonly path: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly options: { readonly rate: number; readonly connections: number; readonly maxRequests: number; readonly timeoutMs?: number },
  ) {
    const https = target.url.protocol === 'https:';
    this.#agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: options.connections }) : new HttpAgent({ keepAlive: true, maxSockets: options.connections });
    this.#timer = setInterval(() => this.#tick(), Math.max(1, Math.round(1000 / options.rate)));
  }

  get sent(): number {
    return this.#sent;
  }

  #tick(): void {
    if (this.#inFlight >= this.options.connections || this.#sent >= this.options.maxRequests) return;
    this.#sent += 1;
    this.#inFlight += 1;
    void this.#one().then((outcome) => {
      this.outcomes.push(outcome);
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#idle?.();
    });
  }

  #one(): Promise<Outcome> {
    const { url } = this.target;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const done = (ok: boolean, what: string) => resolve({ at: Date.now(), ok, what });
      const req = send(
        { host: url.hostname, port: url.port || undefined, path: this.path, agent: this.#agent, headers: { ...this.headers, host: this.target.host }, timeout: this.options.timeoutMs ?? 5_000 },
        (res) => {
          res.resume();
          res.once('end', () => done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400, String(res.statusCode)));
          res.once('error', (error: NodeJS.ErrnoException) => done(false, error.code ?? error.message));
        },
      );
      req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.once('error', (error: NodeJS.ErrnoException) => done(false, error.code ?? error.message));
      req.end();
    });
  }

  between(from: number, to = Infinity): Outcome[] {
    return this.outcomes.filter((o) => o.at >= from && o.at < to);
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    this.#agent.destroy();
  }
}

/** `3 × 502, 1 × ECONNRESET`. */
export function describeOutcomes(outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) if (!o.ok) counts.set(o.what, (counts.get(o.what) ?? 0) + 1);
  return [...counts].map(([what, n]) => `${n} × ${what}`).join(', ') || 'none';
}
