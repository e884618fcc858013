import { Socket } from 'node:net';

/**
 * Server-backed suites (Redis, MariaDB, PostgreSQL) probe their server at setup. A laptop
 * without the server skips them loudly; CI sets MARG_REQUIRE_SERVICES=1 so that a missing
 * server fails the run instead of passing it silently.
 *
 *   const redis = await serviceAvailable('Redis', () => probeTcp('127.0.0.1', 6379));
 *   describe('cache contract on redis', { skip: redis.skipReason }, () => { ... });
 */
export interface ServiceStatus {
  readonly name: string;
  readonly available: boolean;
  /** Undefined when available: pass it straight to `describe(name, { skip })`. */
  readonly skipReason: string | undefined;
}

export interface ServiceOptions {
  /** Where the server was looked for (`127.0.0.1:6379`); else taken from the probe's error when it says. */
  readonly target?: string;
  /** The environment that decides skip or fail; process.env unless a test injects one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the SKIPPED line goes; stderr unless a test captures it. */
  readonly log?: (line: string) => void;
  /** A probe that has not answered by then counts as failed (a firewall that drops packets). */
  readonly timeoutMs?: number;
}

/** Thrown at suite setup when a required server is missing: names the server and the error. */
export class ServiceUnavailableError extends Error {
  constructor(readonly service: string, readonly detail: string, options: { cause: unknown }) {
    super(`${service} is required (MARG_REQUIRE_SERVICES=1) but unavailable: ${detail}`, options);
    this.name = 'ServiceUnavailableError';
  }
}

/**
 * Runs `probe`. Resolves available, or (the probe failed) resolves with a skip reason after
 * printing a SKIPPED line, or throws ServiceUnavailableError when MARG_REQUIRE_SERVICES=1.
 */
export async function requireService(name: string, probe: () => Promise<void>, options: ServiceOptions = {}): Promise<ServiceStatus> {
  const env = options.env ?? process.env;
  try {
    await withTimeout(probe(), options.timeoutMs ?? 2000);
    return { name, available: true, skipReason: undefined };
  } catch (error) {
    const detail = describeFailure(error, options.target);
    if (env.MARG_REQUIRE_SERVICES === '1') throw new ServiceUnavailableError(name, detail, { cause: error });
    const skipReason = `${name} suite — ${detail}; set MARG_REQUIRE_SERVICES=1 to make this a failure`;
    (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(`SKIPPED: ${skipReason}`);
    return { name, available: false, skipReason };
  }
}

/** The same call, named for how a suite file reads: `const redis = await serviceAvailable(...)`. */
export const serviceAvailable = requireService;

/** Resolves once a TCP connection opens; the simplest probe, before speaking the server's protocol. */
export function probeTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
    socket.connect(port, host);
  });
}

/** `no server at 127.0.0.1:6379 (ECONNREFUSED)` for a socket error; the message for anything else. */
function describeFailure(error: unknown, target: string | undefined): string {
  const e = error as Partial<NodeJS.ErrnoException & { address: string; port: number }>;
  const where = target ?? (e.address ? (e.port ? `${e.address}:${e.port}` : e.address) : undefined);
  const message = error instanceof Error ? error.message : String(error);
  if (where === undefined) return `probe failed (${e.code ?? message})`;
  return e.code ? `no server at ${where} (${e.code})` : `server at ${where} failed the probe (${message})`;
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
