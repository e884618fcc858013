import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import type { AddressObject, ParsedMail } from 'mailparser';
import type { MailConfig } from '../../src/config/config.ts';
import { MailError, type Mailer } from '../../src/mail/contract.ts';
import type { ContractOptions } from './fixture.ts';

/** A message as it arrived: where the driver delivered it, parsed back with mailparser. */
export interface DeliveredMail {
  /** The envelope recipients (SMTP) or the To/Cc addresses of the written file (log). */
  readonly recipients: string[];
  readonly parsed: ParsedMail;
}

export interface MailFixture {
  readonly mailer: Mailer;
  /** Everything delivered so far, in send order. */
  delivered(): Promise<DeliveredMail[]>;
  close(): Promise<void>;
}

export type MailFactory = () => Promise<MailFixture>;

export const TEST_FROM: MailConfig['from'] = { address: 'marg@marg.localhost', name: 'Marg Tests' };

export function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return list.flatMap((h) => h.value.map((v) => v.address ?? ''));
}

/** The behaviour every mail driver must have (src/mail/contract.ts). */
export function describeMailerContract(driverName: string, factory: MailFactory, options: ContractOptions & { variant?: string } = {}): void {
  const title = options.variant ? `${driverName} (${options.variant})` : driverName;
  describe(`mail contract: ${title}`, { skip: options.skip, concurrency: true }, () => {
    async function setup(t: TestContext): Promise<MailFixture> {
      const fixture = await factory();
      t.after(() => fixture.close());
      return fixture;
    }

    it(`reports its driver name`, async (t) => {
      const { mailer } = await setup(t);
      assert.equal(mailer.driver, driverName);
    });

    it('delivers plain text, html and attachments intact', async (t) => {
      const fixture = await setup(t);
      const binary = Buffer.concat([Buffer.from([0, 1, 2, 255, 254, 13, 10, 0]), randomBytes(4096)]);
      const csv = 'id,title\r\n1,"Café, ""quoted"""\r\n';
      const text = 'Hello Ünïcødé 👋\nSecond line, with a long tail '.concat('x'.repeat(200));
      const html = '<p>Hello <b>Ünïcødé</b> 👋</p>';
      const sent = await fixture.mailer.send({
        to: 'asha@example.test',
        subject: 'Report — Ünïcødé 👋',
        text,
        html,
        attachments: [
          { filename: 'data.bin', content: binary, contentType: 'application/octet-stream' },
          { filename: 'report.csv', content: csv, contentType: 'text/csv' },
        ],
      });
      assert.match(sent.messageId, /^<[^<>@\s]+@[^<>\s]+>$/);
      const [mail, ...more] = await fixture.delivered();
      assert.equal(more.length, 0);
      assert.ok(mail);
      const { parsed } = mail;
      assert.equal(parsed.messageId, sent.messageId);
      assert.equal(parsed.subject, 'Report — Ünïcødé 👋');
      assert.deepEqual(addresses(parsed.from), [TEST_FROM.address]);
      assert.equal(Array.isArray(parsed.from) ? undefined : parsed.from?.value[0]?.name, TEST_FROM.name);
      assert.deepEqual(mail.recipients, ['asha@example.test']);
      assert.equal(parsed.text?.replace(/\r\n/g, '\n').trimEnd(), text);
      assert.equal(typeof parsed.html === 'string' ? parsed.html.trim() : parsed.html, html);
      assert.deepEqual(
        parsed.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType })),
        [
          { filename: 'data.bin', contentType: 'application/octet-stream' },
          { filename: 'report.csv', contentType: 'text/csv' },
        ],
      );
      assert.ok(parsed.attachments[0]?.content.equals(binary), 'the binary attachment changed on the way');
      assert.equal(parsed.attachments[1]?.content.toString('utf8'), csv);
    });

    it('delivers one message to several recipients', async (t) => {
      const fixture = await setup(t);
      await fixture.mailer.send({ to: ['a@example.test', 'Bo Example <b@example.test>', 'c@example.test'], subject: 'To all', text: 'Hi all' });
      const [mail, ...more] = await fixture.delivered();
      assert.equal(more.length, 0);
      assert.ok(mail);
      assert.deepEqual([...mail.recipients].sort(), ['a@example.test', 'b@example.test', 'c@example.test']);
      assert.deepEqual(addresses(mail.parsed.to).sort(), ['a@example.test', 'b@example.test', 'c@example.test']);
    });

    it('delivers several messages, each once, in send order', async (t) => {
      const fixture = await setup(t);
      for (let i = 1; i <= 5; i += 1) await fixture.mailer.send({ to: `n${i}@example.test`, subject: `Message ${i}`, text: `Body ${i}` });
      const delivered = await fixture.delivered();
      assert.deepEqual(
        delivered.map((d) => d.parsed.subject),
        ['Message 1', 'Message 2', 'Message 3', 'Message 4', 'Message 5'],
      );
    });

    it('refuses a message without recipients with a MailError', async (t) => {
      const fixture = await setup(t);
      await assert.rejects(fixture.mailer.send({ to: [], subject: 'Nobody', text: 'x' }), (error: unknown) => {
        assert.ok(error instanceof MailError);
        assert.equal(error.code, 'EENVELOPE');
        assert.match(error.message, /no recipients/);
        return true;
      });
      assert.equal((await fixture.delivered()).length, 0);
    });

    it('answers ping when it can take mail', async (t) => {
      const fixture = await setup(t);
      await fixture.mailer.ping();
    });
  });
}
