import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Services } from '../../src/platform/services.ts';

/**
 * A signed-in probe through the balancer: one GET at a time, every `everyMs`, each bounded by
 * `timeoutMs`. It records when each probe ended and whether it succeeded, so a test can say
 * when requests succeeded again after a fault (the first success after the last failure).
 */
export class Probe {
  readonly results: { at: number; ok: boolean; what: string }[] = [];
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(port: number, host: string, path: string, cookie: string, everyMs = 100, timeoutMs = 2_000) {
    this.#done = (async () => {
      while (!this.#stopped) {
        const started = Date.now();
        const what = await get(port, host, path, cookie, timeoutMs);
        this.results.push({ at: Date.now(), ok: what === '200', what });
        await sleep(Math.max(0, everyMs - (Date.now() - started)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  /** Probes that failed at or after `since`. */
  failuresSince(since: number): { at: number; what: string }[] {
    return this.results.filter((r) => r.at >= since && !r.ok);
  }

  /** Milliseconds from `since` to the end of the last failed probe (0: none failed). */
  recoveryMs(since: number): number {
    const failures = this.failuresSince(since);
    return failures.length === 0 ? 0 : failures.at(-1)!.at - since;
  }
}

function get(port: number, host: string, path: string, cookie: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, cookie }, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(String(res.statusCode)));
      res.once('error', (error) => resolve(error.message));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

/** One dispatch of the steady job load: its number, when it settled, and how. */
export interface Dispatch {
  readonly n: number;
  readonly at: number;
  readonly id?: string;
  readonly error?: string;
}

/**
 * Dispatches `mail.send` jobs (subject `<tag>-<n>`) every `everyMs` through `services` (at
 * most 50 unsettled at once) until stopped: the job half of the load. An acknowledged dispatch
 * is one whose promise resolved.
 */
export class DispatchLoad {
  readonly settled: Dispatch[] = [];
  #n = 0;
  #pending = new Set<Promise<void>>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    services: Services,
    readonly tag: string,
    everyMs = 50,
  ) {
    this.#timer = setInterval(() => {
      if (this.#pending.size >= 50) return;
      const n = ++this.#n;
      const work = services.queue
        .dispatch('mail.send', { to: 'ha@example.test', subject: `${tag}-${n}`, text: `job ${n}` }, { tries: 5 })
        .then(
          (result) => void this.settled.push({ n, at: Date.now(), id: result.id }),
          (error: Error) => void this.settled.push({ n, at: Date.now(), error: error.message }),
        )
        .finally(() => this.#pending.delete(work));
      this.#pending.add(work);
    }, everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#pending]);
  }

  get acknowledged(): Dispatch[] {
    return this.settled.filter((d) => d.id !== undefined);
  }

  failuresSince(since: number): Dispatch[] {
    return this.settled.filter((d) => d.at >= since && d.error !== undefined);
  }

  recoveryMs(since: number): number {
    const failures = this.failuresSince(since);
    return failures.length === 0 ? 0 : Math.max(...failures.map((f) => f.at)) - since;
  }
}

/** When the log mailer wrote each `<tag>-<n>` subject into `directory` (one .eml per send: one time per run of the job). */
export function mailsBySubject(directory: string, tag: string): Map<number, number[]> {
  const counts = new Map<number, number[]>();
  let files: string[];
  try {
    files = readdirSync(directory).filter((f) => f.endsWith('.eml'));
  } catch {
    return counts;
  }
  const pattern = new RegExp(`^Subject: ${tag}-(\\d+)\\r?$`, 'm');
  for (const file of files) {
    const match = pattern.exec(readFileSync(join(directory, file), 'utf8'));
    if (match) counts.set(Number(match[1]), [...(counts.get(Number(match[1])) ?? []), statSync(join(directory, file)).mtimeMs].sort((a, b) => a - b));
  }
  return counts;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fixed-width table for the test's diagnostics (and `marg chaos`'s style). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
