import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { closeConnectionsWhileDraining } from '../../src/http/drain-connections.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { drainAndClose } from '../../src/platform/drain.ts';
import { Lifecycle } from '../../src/platform/lifecycle.ts';

const logger = createLogger({ logLevel: 'silent' });

async function slowServer(lifecycle: Lifecycle) {
  const server = Fastify();
  server.addHook('onSend', closeConnectionsWhileDraining(lifecycle));
  server.get('/slow/:ms', async (req) => {
    // unref: the hung request's timer must not keep the test process alive once its connection is cut.
    await new Promise((r) => setTimeout(r, Number((req.params as { ms: string }).ms)).unref());
    return { done: true };
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  lifecycle.markReady();
  const address = server.server.address();
  return { server: server as unknown as MargFastify, port: typeof address === 'object' && address ? address.port : 0 };
}

function get(port: number, path: string): Promise<{ status: number; connection: string | undefined } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('drainAndClose: the web role\'s graceful stop', () => {
  it('stays up through the drain, lets a request in flight finish (closing its connection), then closes', async () => {
    const lifecycle = new Lifecycle();
    const { server, port } = await slowServer(lifecycle);
    const inFlight = get(port, '/slow/600');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const stopping = drainAndClose(server, lifecycle, { drainMs: 300, closeTimeoutMs: 5_000, logger });
    assert.equal(lifecycle.ready, false, 'not ready at once');
    const duringDrain = await get(port, '/slow/10');
    assert.deepEqual(duringDrain, { status: 200, connection: 'close' }, 'still serves while the balancer catches up');
    assert.deepEqual(await inFlight, { status: 200, connection: 'close' });
    await stopping;
    assert.ok(Date.now() - started >= 300, 'waited for the drain');
    assert.ok('error' in (await get(port, '/slow/1')), 'closed afterwards');
  });

  it('cuts a request that outlives the close timeout, so a hung request cannot hold the shutdown', async () => {
    const lifecycle = new Lifecycle();
    const { server, port } = await slowServer(lifecycle);
    const hung = get(port, '/slow/30000');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await drainAndClose(server, lifecycle, { drainMs: 0, closeTimeoutMs: 300, logger });
    const ms = Date.now() - started;
    assert.ok(ms >= 300 && ms < 3_000, `closed after ${ms} ms`);
    assert.ok('error' in (await hung), 'the hung request was cut');
  });
});
