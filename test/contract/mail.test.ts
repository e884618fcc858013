import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { simpleParser } from 'mailparser';
import type { MailConfig } from '../../src/config/config.ts';
import { MailError } from '../../src/mail/contract.ts';
import { InvalidMailPayloadError, mailJobs, mailPayload, parseMailPayload } from '../../src/mail/job.ts';
import { LogMailer } from '../../src/mail/log.ts';
import { createMailer } from '../../src/mail/manager.ts';
import { SmtpMailer, smtpTransportOptions, type SmtpConfig, type SmtpMailerOptions } from '../../src/mail/smtp.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { JsonValue, ReservedJob } from '../../src/queue/contract.ts';
import { addresses, describeMailerContract, TEST_FROM, type DeliveredMail, type MailFactory } from './mail.contract.ts';
import { closedPort, selfSignedCertificate, startSilentServer, startSmtpServer, type TestSmtpOptions } from './smtp-fixture.ts';

const quiet = createLogger({ logLevel: 'silent' });
const certificate = selfSignedCertificate();
const tlsSkip = 'skip' in certificate ? certificate.skip : undefined;
if (tlsSkip) process.stderr.write(`SKIPPED: ${tlsSkip}\n`);
const tls = 'skip' in certificate ? undefined : certificate;
/** Short waits: a test of a dead server must fail in seconds, not in the production minutes. */
const FAST: SmtpMailerOptions['timeouts'] = { connectionMs: 1000, greetingMs: 500, socketMs: 2000 };

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'marg-mail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The .eml files of a log mailer's folder, in file-name order, parsed. */
async function emlFiles(directory: string): Promise<DeliveredMail[]> {
  let names: string[];
  try {
    names = readdirSync(directory).filter((n) => n.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (name) => {
      const parsed = await simpleParser(readFileSync(join(directory, name)));
      return { recipients: [...addresses(parsed.to), ...addresses(parsed.cc)], parsed };
    }),
  );
}

function smtpConfig(port: number, overrides: Partial<SmtpConfig> = {}): SmtpConfig {
  return { host: '127.0.0.1', port, username: undefined, password: undefined, encryption: 'none', from: TEST_FROM, ...overrides };
}

function smtpFactory(server: TestSmtpOptions, config: Partial<SmtpConfig>, options: SmtpMailerOptions = {}): MailFactory {
  return async () => {
    const smtp = await startSmtpServer(server);
    const mailer = new SmtpMailer(smtpConfig(smtp.port, config), quiet, { timeouts: FAST, ...options });
    return {
      mailer,
      delivered: async () => smtp.received.map((r) => ({ recipients: r.envelopeTo, parsed: r.parsed })),
      close: async () => {
        await mailer.close();
        await smtp.close();
      },
    };
  };
}

const drivers: { name: string; factory: MailFactory; skip?: string }[] = [
  {
    name: 'log',
    factory: async () => {
      const directory = mkdtempSync(join(tmpdir(), 'marg-mail-'));
      const mailer = new LogMailer({ directory: join(directory, 'mail'), from: TEST_FROM }, quiet);
      return {
        mailer,
        delivered: () => emlFiles(join(directory, 'mail')),
        close: async () => {
          await mailer.close();
          rmSync(directory, { recursive: true, force: true });
        },
      };
    },
  },
  { name: 'smtp', factory: smtpFactory({}, { encryption: 'none' }) },
];
for (const driver of drivers) describeMailerContract(driver.name, driver.factory);
// The same contract over an authenticated STARTTLS session, as a production relay would run it.
describeMailerContract(
  'smtp',
  smtpFactory({ starttls: true, ...(tls ? { tls } : {}), credentials: { username: 'relay', password: 's3cret' } }, { encryption: 'starttls', username: 'relay', password: 's3cret' }, { tls: { ca: tls?.cert } }),
  { skip: tlsSkip, variant: 'STARTTLS and AUTH' },
);

describe('log mailer', () => {
  it('writes one time-sortable .eml file per message and logs recipients and subject, never the body', async (t) => {
    const dir = tempDir(t);
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'info' }, { destination: { write: (line: string) => void lines.push(line) } });
    const mailer = new LogMailer({ directory: join(dir, 'mail'), from: TEST_FROM }, logger);
    const before = new Date().toISOString().replace(/[:.]/g, '-');
    await mailer.send({ to: ['a@example.test', 'b@example.test'], subject: 'Status', text: 'SECRET-BODY-TEXT', html: '<p>SECRET-BODY-HTML</p>' });
    await mailer.send({ to: 'c@example.test', subject: 'Second', text: 'SECRET-BODY-TEXT' });
    const names = readdirSync(join(dir, 'mail'));
    assert.equal(names.length, 2, `no temp files left behind: ${names.join(', ')}`);
    for (const name of names) {
      assert.match(name, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-\d{4}-[0-9a-f]{8}\.eml$/);
      assert.ok(name >= before, `${name} sorts before the time it was written (${before})`);
    }
    const ordered = [...names].sort();
    const first = readFileSync(join(dir, 'mail', ordered[0]!), 'utf8');
    assert.match(first, /^[\s\S]*\r\nSubject: Status\r\n/);
    assert.match(first, /\r\n\r\n/, 'headers, a blank line, then the body (RFC 822)');
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; mail?: { to: string[]; subject: string; file: string } });
    assert.deepEqual(
      logged.map((l) => [l.msg, l.mail?.to, l.mail?.subject]),
      [
        ['mail written', ['a@example.test', 'b@example.test'], 'Status'],
        ['mail written', ['c@example.test'], 'Second'],
      ],
    );
    assert.doesNotMatch(lines.join(''), /SECRET-BODY/);
  });

  it('fails ping and send clearly when its directory cannot be written', async (t) => {
    const dir = tempDir(t);
    const blocked = join(dir, 'not-a-directory');
    writeFileSync(blocked, 'a file where the mail folder should be');
    const mailer = new LogMailer({ directory: blocked, from: TEST_FROM }, quiet);
    await assert.rejects(mailer.ping(), (e: unknown) => e instanceof MailError && e.message.includes(blocked));
    await assert.rejects(mailer.send({ to: 'a@example.test', subject: 's', text: 't' }), MailError);
  });
});

describe('smtp mailer', () => {
  it('maps MAIL_ENCRYPTION and credentials to nodemailer options', () => {
    const base = smtpConfig(2525);
    assert.deepEqual(pick(smtpTransportOptions({ ...base, encryption: 'tls' })), { secure: true, requireTLS: undefined, ignoreTLS: undefined, auth: undefined });
    assert.deepEqual(pick(smtpTransportOptions({ ...base, encryption: 'starttls' })), { secure: false, requireTLS: false, ignoreTLS: undefined, auth: undefined });
    assert.deepEqual(pick(smtpTransportOptions({ ...base, encryption: 'none' })), { secure: false, requireTLS: undefined, ignoreTLS: true, auth: undefined });
    assert.deepEqual(pick(smtpTransportOptions({ ...base, username: 'u', password: 'p' })).auth, { user: 'u', pass: 'p' });
    const options = smtpTransportOptions(base);
    assert.ok(options.connectionTimeout && options.greetingTimeout && options.socketTimeout, 'every wait is bounded');
  });

  describe('when the server requires authentication', () => {
    const credentials = { username: 'relay', password: 'right-password' };

    it('sends with the right credentials', async (t) => {
      const smtp = await startSmtpServer({ credentials });
      t.after(() => smtp.close());
      const mailer = new SmtpMailer(smtpConfig(smtp.port, credentials), quiet, { timeouts: FAST });
      t.after(() => mailer.close());
      await mailer.ping();
      await mailer.send({ to: 'a@example.test', subject: 'Authenticated', text: 'ok' });
      assert.equal(smtp.received.length, 1);
      assert.equal(smtp.received[0]?.user, 'relay');
    });

    it('rejects a wrong password with a clear error, and delivers nothing', async (t) => {
      const smtp = await startSmtpServer({ credentials });
      t.after(() => smtp.close());
      const mailer = new SmtpMailer(smtpConfig(smtp.port, { username: 'relay', password: 'wrong' }), quiet, { timeouts: FAST });
      t.after(() => mailer.close());
      const isAuthError = (error: unknown) => {
        assert.ok(error instanceof MailError, String(error));
        assert.equal(error.code, 'EAUTH');
        assert.match(error.message, /smtp 127\.0\.0\.1:\d+.*authentication failed \(check MAIL_USERNAME and MAIL_PASSWORD\)/);
        assert.doesNotMatch(error.message, /wrong/, 'the password is never in the message');
        return true;
      };
      await assert.rejects(mailer.send({ to: 'a@example.test', subject: 'Nope', text: 'x' }), isAuthError);
      await assert.rejects(mailer.ping(), isAuthError);
      assert.equal(smtp.received.length, 0);
      assert.ok(smtp.authAttempts >= 2);
    });

    it('rejects a send without credentials', async (t) => {
      const smtp = await startSmtpServer({ credentials });
      t.after(() => smtp.close());
      const mailer = new SmtpMailer(smtpConfig(smtp.port), quiet, { timeouts: FAST });
      t.after(() => mailer.close());
      await assert.rejects(mailer.send({ to: 'a@example.test', subject: 'Anonymous', text: 'x' }), (error: unknown) => {
        assert.ok(error instanceof MailError, String(error));
        assert.match(error.message, /smtp 127\.0\.0\.1:\d+.*the server requires authentication \(set MAIL_USERNAME and MAIL_PASSWORD\)/);
        return true;
      });
      assert.equal(smtp.received.length, 0);
    });
  });

  it('fails fast with a clear error when nothing listens on MAIL_HOST:MAIL_PORT', async (t) => {
    const port = await closedPort();
    const mailer = new SmtpMailer(smtpConfig(port), quiet, { timeouts: FAST });
    t.after(() => mailer.close());
    const started = Date.now();
    const refused = (error: unknown) => {
      assert.ok(error instanceof MailError, String(error));
      assert.match(error.message, new RegExp(`smtp 127\\.0\\.0\\.1:${port}`));
      assert.match(error.message, /ECONNREFUSED/);
      assert.match(error.message, /check MAIL_HOST/);
      return true;
    };
    await assert.rejects(mailer.send({ to: 'a@example.test', subject: 's', text: 't' }), refused);
    await assert.rejects(mailer.ping(), refused);
    assert.ok(Date.now() - started < 5000);
  });

  it('gives up on a server that never greets instead of hanging', async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    const mailer = new SmtpMailer(smtpConfig(silent.port), quiet, { timeouts: FAST });
    t.after(() => mailer.close());
    const started = Date.now();
    const timedOut = (error: unknown) => {
      assert.ok(error instanceof MailError, String(error));
      assert.equal(error.code, 'ETIMEDOUT');
      assert.match(error.message, /no answer in time/);
      return true;
    };
    await assert.rejects(mailer.send({ to: 'a@example.test', subject: 's', text: 't' }), timedOut);
    await assert.rejects(mailer.ping(), timedOut);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  describe('encryption', { skip: tlsSkip }, () => {
    const message = { to: 'a@example.test', subject: 'Encrypted?', text: 'x' };

    async function sendThrough(t: TestContext, server: TestSmtpOptions, encryption: MailConfig['encryption']) {
      const smtp = await startSmtpServer({ ...server, ...(tls ? { tls } : {}) });
      t.after(() => smtp.close());
      const mailer = new SmtpMailer(smtpConfig(smtp.port, { encryption }), quiet, { timeouts: FAST, tls: { ca: tls?.cert } });
      t.after(() => mailer.close());
      await mailer.send(message);
      assert.equal(smtp.received.length, 1);
      return smtp.received[0]!;
    }

    it('starttls upgrades when the server offers STARTTLS', async (t) => {
      assert.equal((await sendThrough(t, { starttls: true }, 'starttls')).secure, true);
    });
    it('starttls sends in plain text when the server does not offer it', async (t) => {
      assert.equal((await sendThrough(t, { starttls: false }, 'starttls')).secure, false);
    });
    it('none never upgrades, even when offered', async (t) => {
      assert.equal((await sendThrough(t, { starttls: true }, 'none')).secure, false);
    });
    it('tls speaks TLS from the first byte', async (t) => {
      assert.equal((await sendThrough(t, { secure: true }, 'tls')).secure, true);
    });
    it('refuses a server whose certificate it cannot verify', async (t) => {
      const smtp = await startSmtpServer({ starttls: true, ...(tls ? { tls } : {}) });
      t.after(() => smtp.close());
      const mailer = new SmtpMailer(smtpConfig(smtp.port, { encryption: 'starttls' }), quiet, { timeouts: FAST });
      t.after(() => mailer.close());
      await assert.rejects(mailer.send(message), (error: unknown) => error instanceof MailError && /certificate/i.test(error.message));
      assert.equal(smtp.received.length, 0);
    });
  });
});

describe('createMailer', () => {
  it('picks the driver MAIL_MAILER names', async () => {
    const base: MailConfig = { mailer: 'log', directory: join(tmpdir(), 'unused-mail'), host: '127.0.0.1', port: 2525, username: undefined, password: undefined, encryption: 'none', from: TEST_FROM };
    const log = await createMailer({ mail: base }, quiet);
    const smtp = await createMailer({ mail: { ...base, mailer: 'smtp' } }, quiet);
    assert.equal(log.driver, 'log');
    assert.equal(smtp.driver, 'smtp');
    await Promise.all([log.close(), smtp.close()]);
  });
});

describe('mail.send job', () => {
  const job: ReservedJob = { id: '1', name: 'mail.send', payload: null, queue: 'default', tries: 3, backoff: null, timeoutMs: null, uniqueKey: null, attempt: 1, readyAt: 0 };

  async function run(t: TestContext, payload: JsonValue): Promise<DeliveredMail[]> {
    const dir = tempDir(t);
    const mail = new LogMailer({ directory: dir, from: TEST_FROM }, quiet);
    t.after(() => mail.close());
    await mailJobs(mail)['mail.send']!(payload, { job: { ...job, payload }, signal: new AbortController().signal });
    return emlFiles(dir);
  }

  it('sends the dispatched message, attachments included, after a JSON round trip', async (t) => {
    const binary = Buffer.from([0, 159, 146, 150, 255, 10, 13]);
    const payload = mailPayload({
      to: ['a@example.test', 'b@example.test'],
      subject: 'Queued',
      text: 'From the queue',
      html: '<p>From the queue</p>',
      attachments: [
        { filename: 'x.bin', content: binary },
        { filename: 'notes.txt', content: 'héllo', contentType: 'text/plain' },
      ],
    });
    // What the queue stores and hands back.
    const stored = JSON.parse(JSON.stringify(payload)) as JsonValue;
    const [mail, ...more] = await run(t, stored);
    assert.equal(more.length, 0);
    assert.ok(mail);
    assert.deepEqual(mail.recipients, ['a@example.test', 'b@example.test']);
    assert.equal(mail.parsed.subject, 'Queued');
    assert.ok(mail.parsed.attachments[0]?.content.equals(binary));
    assert.equal(mail.parsed.attachments[1]?.content.toString('utf8'), 'héllo');
    assert.equal(mail.parsed.attachments[1]?.contentType, 'text/plain');
  });

  it('round-trips a message through mailPayload and parseMailPayload', () => {
    const message = parseMailPayload(mailPayload({ to: 'a@example.test', subject: 's', text: 't', attachments: [{ filename: 'f', content: Buffer.from('abc') }] }));
    assert.deepEqual(message, { to: 'a@example.test', subject: 's', text: 't', attachments: [{ filename: 'f', content: Buffer.from('abc') }] });
  });

  const bad: [string, JsonValue, RegExp][] = [
    ['not an object', 'hello', /invalid payload/],
    ['no recipient', { subject: 's', text: 't' }, /\/to/],
    ['an empty recipient list', { to: [], subject: 's', text: 't' }, /\/to/],
    ['a subject with a line break (header injection)', { to: 'a@example.test', subject: 'Hi\r\nBcc: x@evil.test', text: 't' }, /\/subject/],
    ['an attachment that is not base64', { to: 'a@example.test', subject: 's', text: 't', attachments: [{ filename: 'f', content: 'not base64!' }] }, /\/attachments\/0\/content/],
    ['an attachment with a path (file access)', { to: 'a@example.test', subject: 's', text: 't', attachments: [{ filename: 'f', content: '', path: '/etc/passwd' }] }, /\/attachments\/0/],
    ['an unknown field', { to: 'a@example.test', subject: 's', text: 't', bcc: 'x@evil.test' }, /invalid payload/],
  ];
  for (const [what, payload, names] of bad) {
    it(`throws a clear error for ${what}, sending nothing`, async (t) => {
      const dir = tempDir(t);
      const mail = new LogMailer({ directory: dir, from: TEST_FROM }, quiet);
      await assert.rejects(mailJobs(mail)['mail.send']!(payload, { job: { ...job, payload }, signal: new AbortController().signal }), (error: unknown) => {
        assert.ok(error instanceof InvalidMailPayloadError, String(error));
        assert.match(error.message, /^mail\.send: invalid payload/);
        assert.match(error.message, names);
        return true;
      });
      assert.deepEqual(readdirSync(dir), []);
    });
  }
});

function pick(options: ReturnType<typeof smtpTransportOptions>) {
  return { secure: options.secure, requireTLS: options.requireTLS, ignoreTLS: options.ignoreTLS, auth: options.auth };
}
