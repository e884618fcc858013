import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PasswordResetTokens } from '../../src/auth/password-reset.ts';
import { decodeAppKey } from '../../src/config/app-key.ts';
import { recordSecret } from '../support/log-capture.ts';
import { MailLog, resetLink } from '../support/mail-log.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const NEW_PASSWORD = 'a brand new passphrase';
recordSecret(NEW_PASSWORD);

describe('password reset by mail (POST /api/password/forgot, /api/password/reset)', () => {
  let server: TestServer;
  let mail: MailLog;
  before(async () => {
    server = await startTestServer({ MAIL_MAILER: 'log' }, { worker: true });
    mail = new MailLog(server.config.mail.directory);
  });
  after(() => server.close());

  async function askForLink(email: string): Promise<string> {
    const response = await server.client().post('accounts', '/api/password/forgot', { json: { email } });
    assert.equal(response.status, 202, response.text);
    const token = resetLink(await mail.next(email)).searchParams.get('token')!;
    recordSecret(token);
    return token;
  }

  it('answers 202 with the same body for known and unknown addresses, and mails only the known one', async () => {
    const user = await server.createUser();
    const known = await server.client().post('accounts', '/api/password/forgot', { json: { email: user.email.toUpperCase() } });
    const unknown = await server.client().post('accounts', '/api/password/forgot', { json: { email: 'nobody@example.test' } });
    assert.equal(known.status, 202);
    assert.equal(unknown.status, 202);
    assert.equal(known.text, unknown.text, 'the answer does not tell whether the account exists');
    const message = await mail.next(user.email);
    assert.match(message.subject ?? '', /Reset your Marg password/);
    const link = resetLink(message);
    assert.equal(link.host, `accounts.marg.localhost:${server.port}`);
    recordSecret(link.searchParams.get('token') ?? undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual((await mail.newMail()).map((m) => m.subject), [], 'no mail for the unknown address');
    assert.equal((await server.client().post('accounts', '/api/password/forgot', { json: {} })).status, 400);
    assert.equal((await server.client().post('accounts', '/api/password/forgot', { json: { email: 5 } })).status, 400);
  });

  it('resets with the mailed token: the old password and every session end; the token works once', async () => {
    const user = await server.createUser({ roles: [{ app: 'flow', role: 'viewer' }] });
    const browser = server.client();
    await browser.signIn('accounts', user.email, TEST_PASSWORD);
    const token = await askForLink(user.email);

    const weak = await server.client().post('accounts', '/api/password/reset', { json: { token, password: 'short' } });
    assert.equal(weak.status, 422);
    assert.ok(weak.json().error.fields.password);

    const reset = await server.client().post('accounts', '/api/password/reset', { json: { token, password: NEW_PASSWORD } });
    assert.equal(reset.status, 200, reset.text);
    assert.equal((await browser.get('flow', '/api/me')).status, 401, 'sessions ended');
    assert.equal((await server.client().post('accounts', '/api/session', { json: { email: user.email, password: TEST_PASSWORD } })).status, 401);
    await server.client().signIn('accounts', user.email, NEW_PASSWORD);

    const reused = await server.client().post('accounts', '/api/password/reset', { json: { token, password: 'yet another passphrase' } });
    assert.equal(reused.status, 400);
    assert.equal(reused.json().error.code, 'invalid_reset_token');
    assert.match(reused.json().error.message, /already been used/);
    const audit = await server.services.audit.list(50, { event: 'user.password_reset' });
    assert.ok(audit.some((e) => e.actorId === user.id));
  });

  it('refuses tampered, malformed and expired tokens with clear 4xx answers', async () => {
    const user = await server.createUser();
    const other = await server.createUser();
    const token = await askForLink(user.email);
    const [id, expires, mac] = token.split('.');
    const cases: [string, string][] = [
      [`${other.id}.${expires}.${mac}`, 'another user'],
      [`${id}.${Number(expires) + 3600}.${mac}`, 'a later expiry'],
      [`${id}.${expires}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`, 'a changed signature'],
      ['garbage', 'not a token'],
    ];
    for (const [bad, what] of cases) {
      const response = await server.client().post('accounts', '/api/password/reset', { json: { token: bad, password: NEW_PASSWORD } });
      assert.equal(response.status, 400, what);
      assert.equal(response.json().error.code, 'invalid_reset_token', what);
    }
    const tokens = new PasswordResetTokens(decodeAppKey(server.config.appKey!), server.services.users);
    const old = await tokens.issue(user.id, Date.now() - 2 * 3600_000);
    const expired = await server.client().post('accounts', '/api/password/reset', { json: { token: old, password: NEW_PASSWORD } });
    assert.equal(expired.status, 400);
    assert.equal(expired.json().error.code, 'reset_token_expired');
    // The untampered token still works: the refusals changed nothing.
    assert.equal((await server.client().post('accounts', '/api/password/reset', { json: { token, password: NEW_PASSWORD } })).status, 200);
  });

  it("a disabled user gets no mail, and a token issued before is refused (403)", async () => {
    const user = await server.createUser();
    const token = await askForLink(user.email);
    await server.services.users.setDisabled(user.id, true);
    const refused = await server.client().post('accounts', '/api/password/reset', { json: { token, password: NEW_PASSWORD } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json().error.code, 'account_disabled');
    assert.equal((await server.client().post('accounts', '/api/password/forgot', { json: { email: user.email } })).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual((await mail.newMail()).length, 0);
  });

  it('the pages: a forgot form linked from sign-in, the reset form from the mail link', async () => {
    const user = await server.createUser();
    const browser = server.client();
    const signin = await browser.get('accounts', '/signin');
    assert.match(signin.text, /href="\/password\/forgot"/);
    const forgot = await browser.post('accounts', '/password/forgot', { form: { email: user.email } });
    assert.equal(forgot.status, 202);
    assert.match(forgot.text, /If an account exists/);
    const token = resetLink(await mail.next(user.email)).searchParams.get('token')!;
    recordSecret(token);
    const page = await browser.get('accounts', `/password/reset?token=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /name="token"/);
    const mismatch = await browser.post('accounts', '/password/reset', { form: { token, password: NEW_PASSWORD, confirm: 'different one' } });
    assert.equal(mismatch.status, 422);
    const done = await browser.post('accounts', '/password/reset', { form: { token, password: NEW_PASSWORD, confirm: NEW_PASSWORD } });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/signin');
    assert.match((await browser.get('accounts', '/signin')).text, /Your password is changed/);
    const again = await browser.post('accounts', '/password/reset', { form: { token, password: NEW_PASSWORD, confirm: NEW_PASSWORD } });
    assert.equal(again.status, 400);
    assert.match(again.text, /already been used/);
  });
});
