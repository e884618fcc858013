import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisService } from '../contract/redis-fixture.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';
import type { HostClient } from '../support/client.ts';
import { until } from '../support/wait.ts';
import type { RbacDatabase } from '../../src/auth/rbac-schema.ts';
import type { RoleRef } from '../../src/auth/permissions.ts';

const redis = await redisService();

/**
 * Two web nodes in one process, as two nodes behind a load balancer: the same Redis (sessions,
 * cache, REDIS_PREFIX), the same databases and APP_KEY. Each node keeps the sessions and
 * principals it read in memory; what ends a session or takes a permission on node A must hold
 * on node B's very next request.
 */
describe('two web nodes on Redis: sign-outs and revocations reach the other node at once', { skip: redis.skipReason }, () => {
  let a: TestServer | undefined;
  let b: TestServer | undefined;

  before(async () => {
    const drivers = { SESSION_DRIVER: 'redis', CACHE_STORE: 'redis', REDIS_HOST: '127.0.0.1', REDIS_PORT: '6379' };
    a = await startTestServer(drivers);
    // B shares A's files (SQLite databases), key prefix and key; A's close() deletes both.
    const databases = a.config.raw.DB_DATABASE ? { DB_DATABASE: a.config.raw.DB_DATABASE } : {};
    b = await startTestServer({ ...drivers, ...databases, STORAGE_PATH: a.config.storagePath, REDIS_PREFIX: a.config.redis.prefix, APP_KEY: a.config.raw.APP_KEY });
  });

  after(async () => {
    await b?.close();
    await a?.close();
  });

  /** Signs in on A, then makes B answer from its memory: both nodes' buses are live and B has read the session and principal. */
  async function signedInOnBoth(roles: RoleRef[]): Promise<{ onA: HostClient; onB: HostClient; userId: number; email: string }> {
    const user = await a!.createUser({ roles });
    const onA = a!.client();
    await onA.signIn('accounts', user.email, TEST_PASSWORD);
    const onB = onA.onPort(b!.port);
    assert.equal((await onB.get('flow', '/api/me')).status, 200);
    await until(() => a!.services.invalidations.live && b!.services.invalidations.live);
    assert.equal((await onB.get('flow', '/api/me')).status, 200);
    return { onA, onB, userId: user.id, email: user.email };
  }

  it('B keeps the session and the principal in memory: a request needs no store read', async () => {
    const { onB, userId } = await signedInOnBoth([{ app: 'flow', role: 'viewer' }]);
    assert.equal((await onB.get('flow', '/api/tasks')).status, 200);
    // Straight in the store, past every node's bus: B does not see it (what makes the tests below meaningful).
    await a!.services.cache.delete(`rbac:user:${userId}`);
    await a!.services.databases.get<RbacDatabase>('rbac').db.deleteFrom('user_roles').where('user_id', '=', userId).execute();
    assert.equal((await onB.get('flow', '/api/tasks')).status, 200, 'answered from B’s memory');
    // Through Rbac.forget, which publishes: B's next request sees it.
    await a!.services.rbac.forget(userId);
    assert.equal((await onB.get('flow', '/api/tasks')).status, 403);
  });

  it('signing out on A: the same cookie is a 401 on B’s next request', async () => {
    const { onA, onB } = await signedInOnBoth([{ app: 'flow', role: 'viewer' }]);
    const cookie = onA.cookie('marg_session');
    assert.ok(cookie);
    assert.equal((await onA.delete('accounts', '/api/session')).status, 204);
    const replay = await onB.get('flow', '/api/me', { headers: { cookie: `marg_session=${cookie}` } });
    assert.equal(replay.status, 401);
  });

  it('revoking a role on A is a 403 on B’s next request', async () => {
    const admin = await a!.createUser({ roles: [{ app: 'accounts', role: 'admin' }] });
    const adminOnA = a!.client();
    await adminOnA.signIn('accounts', admin.email, TEST_PASSWORD);
    const { onB, userId } = await signedInOnBoth([{ app: 'flow', role: 'viewer' }]);
    assert.equal((await onB.get('flow', '/api/tasks')).status, 200);
    const revoked = await adminOnA.delete('accounts', `/api/users/${userId}/roles/flow:viewer`);
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal((await onB.get('flow', '/api/tasks')).status, 403);
  });

  it('a password change on A signs the other browsers out on B at once', async () => {
    const { onA, email } = await signedInOnBoth([{ app: 'flow', role: 'viewer' }]);
    const other = a!.client();
    await other.signIn('accounts', email, TEST_PASSWORD);
    const otherOnB = other.onPort(b!.port);
    assert.equal((await otherOnB.get('flow', '/api/me')).status, 200);
    assert.equal((await otherOnB.get('flow', '/api/me')).status, 200);
    const changed = await onA.request('PUT', 'accounts', '/api/me/password', { json: { currentPassword: TEST_PASSWORD, password: 'a whole new passphrase' } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((await otherOnB.get('flow', '/api/me')).status, 401);
  });

  // Repeated: the invalidation and B's next request reach B in the same turn of its event loop, in
  // either order (one run in four lost that race before B waited for the turn's I/O).
  it('`marg user:logout` (the store’s destroyOf, from any process) is a 401 on B’s next request, every time', async () => {
    for (let round = 1; round <= 15; round++) {
      const { onB, userId } = await signedInOnBoth([{ app: 'flow', role: 'viewer' }]);
      assert.equal(await a!.services.sessions.destroyOf(userId), 1);
      assert.equal((await onB.get('flow', '/api/me')).status, 401, `round ${round}`);
    }
  });
});
