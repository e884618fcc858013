import { startTestServer, type TestServer } from '../support/platform.ts';

/**
 * Request limits count in clock-aligned one-minute windows: a test that counts requests must
 * not straddle a window's end, or the count starts over halfway. Waits (at most `needMs`)
 * until the current window has at least `needMs` left.
 */
export async function awayFromWindowEnd(needMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Request options that make the request come from `ip` (the limited servers trust the loopback proxy's X-Forwarded-For). */
export function from(ip: string, headers: Record<string, string> = {}): { headers: Record<string, string> } {
  return { headers: { 'x-forwarded-for': ip, ...headers } };
}

/** A web role with request limits on, believing X-Forwarded-For from 127.0.0.1, so each test can be its own client. */
export function startLimitedServer(apiLimit: number, signinLimit: number): Promise<TestServer> {
  return startTestServer({ API_RATE_LIMIT: String(apiLimit), SIGNIN_RATE_LIMIT: String(signinLimit), TRUSTED_PROXIES: '127.0.0.1' });
}
