import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SendMailOptions } from 'nodemailer';
import type { MailConfig } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import { checkMessage, mailError, recipients, SAFE_CONTENT, toSendMailOptions } from './compose.ts';
import type { Mailer, MailMessage, SentMail } from './contract.ts';

/**
 * The embedded mailer (Laravel's `log` mailer): nodemailer builds the real RFC 822 message,
 * which is written to `storage/mail/<time>-<n>-<random>.eml` (open it in any mail client)
 * instead of being sent. One info line per message names the recipients and subject only.
 * nodemailer is imported at the first message: a web node that sends none never loads it (issue 19).
 */
/** The part of nodemailer's stream transport (`buffer: true`) this mailer uses: it answers the message's id and bytes. */
interface StreamTransport {
  sendMail(options: SendMailOptions): Promise<{ messageId: string; message?: unknown }>;
  close(): void;
}

function streamTransport(): Promise<StreamTransport> {
  return import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', ...SAFE_CONTENT }));
}

export class LogMailer implements Mailer {
  readonly driver = 'log' as const;
  #transport: Promise<StreamTransport> | undefined;
  #lastStamp = '';
  #sameStamp = 0;

  constructor(
    private readonly config: Pick<MailConfig, 'directory' | 'from'>,
    private readonly logger: Logger,
  ) {}

  async send(message: MailMessage): Promise<SentMail> {
    const where = `mail (log driver, ${this.config.directory})`;
    checkMessage(where, message);
    let built: { messageId: string; message?: unknown };
    try {
      built = await (await (this.#transport ??= streamTransport())).sendMail(toSendMailOptions(message, this.config.from));
    } catch (error) {
      throw mailError(where, error);
    }
    if (!Buffer.isBuffer(built.message)) throw mailError(where, new Error('nodemailer returned no message buffer'));
    const file = join(this.config.directory, `${this.#fileStem()}.eml`);
    try {
      await mkdir(this.config.directory, { recursive: true });
      // Written beside, then renamed: a reader of the folder never sees half a message.
      await writeFile(`${file}.tmp`, built.message, { flag: 'wx' });
      await rename(`${file}.tmp`, file);
    } catch (error) {
      throw mailError(where, error);
    }
    this.logger.info({ mail: { to: recipients(message), subject: message.subject, messageId: built.messageId, file } }, 'mail written');
    return { messageId: built.messageId };
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.config.directory, { recursive: true });
      await access(this.config.directory, constants.W_OK);
    } catch (error) {
      throw mailError(`mail (log driver): the directory ${this.config.directory} is not writable`, error);
    }
  }

  async close(): Promise<void> {
    (await this.#transport?.catch(() => undefined))?.close();
  }

  /**
   * Sorts by time: an ISO time with a counter for messages in the same millisecond (so this
   * process's messages sort in send order) and a random part so that processes never collide.
   */
  #fileStem(): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    this.#sameStamp = stamp === this.#lastStamp ? this.#sameStamp + 1 : 0;
    this.#lastStamp = stamp;
    return `${stamp}-${String(this.#sameStamp).padStart(4, '0')}-${randomBytes(4).toString('hex')}`;
  }
}
