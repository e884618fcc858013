import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { keysUnder, redisService, scanKeys } from '../contract/redis-fixture.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const redis = await redisService();

// Every port on the shared Redis, as a deployment that runs several web nodes would.
describe('the platform with sessions, cache, locks and rate limits on Redis', { skip: redis.skipReason }, () => {
  const tag = randomBytes(6).toString('hex');
  // Punctuation the schema allows (`:` `.` `-`): every key must still start with it, untouched.
  const prefix = `marg:test-${tag}.`;
  let server: TestServer | undefined;
  let direct: Redis | undefined;

  before(async () => {
    direct = new Redis({ host: '127.0.0.1', port: 6379 });
    server = await startTestServer({ SESSION_DRIVER: 'redis', CACHE_STORE: 'redis', REDIS_HOST: '127.0.0.1', REDIS_PORT: '6379', REDIS_PREFIX: prefix });
  });

  after(async () => {
    await server?.close();
    if (direct) {
      // Also whatever escaped the prefix (the test below fails then, but nothing is left behind).
      const keys = await scanKeys(direct, `*${tag}*`);
      if (keys.length > 0) await direct.del(...keys);
      direct.disconnect();
    }
  });

  it('runs sign-in and SSO on Redis; the session record is sealed; every key sits under REDIS_PREFIX', async () => {
    const user = await server!.createUser({ name: 'Ada Lovelace', email: `ada-${tag}@example.test`, roles: [{ app: 'flow', role: 'viewer' }] });
    const client = server!.client();
    const wrong = await client.post('accounts', '/api/session', { json: { email: user.email, password: 'not the password' } });
    assert.equal(wrong.status, 401);
    await client.signIn('accounts', user.email, TEST_PASSWORD);
    const me = await client.get('flow', '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.json().email, user.email);

    const id = client.cookie('marg_session');
    assert.ok(id, 'the session cookie is set');
    const raw = await direct!.get(`${prefix}session:${id}`);
    assert.ok(raw !== null, 'the session record is on Redis under REDIS_PREFIX');
    assert.match(raw, /^[A-Za-z0-9_-]+$/, 'sealed: base64url, no JSON');
    for (const plain of [user.email, `ada-${tag}`, 'Ada Lovelace']) assert.ok(!raw.includes(plain), `the record does not contain ${plain}`);
    const ttl = await direct!.ttl(`${prefix}session:${id}`);
    assert.ok(ttl > 7100 && ttl <= 7200, `Redis expires the record with the session lifetime (ttl ${ttl})`);

    // The keys this tag produced anywhere (`*tag*`, not `prefix*`): a driver that rewrote the prefix would show here.
    const written = await scanKeys(direct!, `*${tag}*`);
    assert.deepEqual(
      written.filter((k) => !k.startsWith(prefix)),
      [],
      'no key outside REDIS_PREFIX',
    );
    assert.ok(written.includes(`${prefix}session:${id}`), `the session: ${written.join(', ')}`);
    assert.ok(
      written.some((k) => k.startsWith(`${prefix}ratelimit:`) && k.includes('signin_ip')),
      `the sign-in rate limit, in its own namespace under REDIS_PREFIX: ${written.join(', ')}`,
    );
    assert.deepEqual(await keysUnder(direct!, prefix), written);

    assert.equal((await client.delete('flow', '/api/session')).status, 204);
    assert.equal(await direct!.exists(`${prefix}session:${id}`), 0, 'sign-out deletes the record');
    assert.equal((await client.get('links', '/api/me')).status, 401);
  });
});
