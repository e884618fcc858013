import assert from 'node:assert/strict';
import type { RawEnv } from '../../src/config/env-files.ts';
import type { HostClient, TestResponse } from '../support/client.ts';
import { describeResult, runMarg } from '../support/cli.ts';

/** Shared by the maintenance end-to-end tests (operations-cluster, maintenance-start). */

export { TEST_DOMAIN as DOMAIN } from '../support/platform.ts';
/** The bound: a `marg down` on one node's config is obeyed by every node within about this. */
export const PROPAGATION_BOUND_MS = 2_000;

/** A signed-out browser's page request: pages are never rate limited, so polling them spends no limit. */
export async function pageStatus(client: HostClient): Promise<number> {
  return (await client.get('flow', '/', { headers: { accept: 'text/html' }, allowServerError: true })).status;
}

/**
 * Requests pages from `client` back to back (so the node's ~1 s view of the maintenance state
 * stays fresh, as on a busy node: the worst case for how soon it notices) until one answers
 * `status`; resolves with the time of that answer (performance.now()). Gives up after `boundMs`.
 */
export function watchFor(client: HostClient, status: number, boundMs = 60_000): Promise<number> {
  const started = performance.now();
  return (async () => {
    for (;;) {
      if ((await pageStatus(client)) === status) return performance.now();
      if (performance.now() - started > boundMs) throw new Error(`port ${client.port} did not answer ${status} within ${boundMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
}

/** Runs a marg command while both nodes are watched; returns how long after the command exited each node answered `status`. */
export async function propagation(args: string[], cwd: string, env: RawEnv | undefined, clients: readonly HostClient[], status: number): Promise<number[]> {
  const watches = clients.map((c) => watchFor(c, status));
  // A watch that fails early must not go unhandled while the command runs.
  for (const w of watches) w.catch(() => {});
  const result = await runMarg(args, { cwd, ...(env ? { env } : {}) });
  const exitedAt = performance.now();
  assert.equal(result.code, 0, describeResult(result));
  return (await Promise.all(watches)).map((seenAt) => Math.max(0, seenAt - exitedAt));
}

export function assertMaintenance(response: TestResponse, label: string): void {
  assert.equal(response.status, 503, `${label}: ${response.text.slice(0, 200)}`);
  assert.equal(response.headers['retry-after'], '30', label);
}
