import type { ConnectionOptions } from 'node:tls';
import nodemailer, { type SMTPTransportOptions } from 'nodemailer';
import type { MailConfig } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import { checkMessage, mailError, recipients, SAFE_CONTENT, toSendMailOptions } from './compose.ts';
import type { Mailer, MailMessage, SentMail } from './contract.ts';

export interface SmtpTimeouts {
  /** To open the TCP (or TLS) connection. */
  readonly connectionMs: number;
  /** For the server's 220 greeting once connected. */
  readonly greetingMs: number;
  /** Of silence on an open connection. */
  readonly socketMs: number;
}

/** Bounded so that an unreachable or silent server fails the send (and the job) instead of hanging it. */
export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 60_000 };

export interface SmtpMailerOptions {
  readonly timeouts?: Partial<SmtpTimeouts>;
  /** Extra TLS settings (a private CA, say); by default the server's certificate is verified against the system CAs. */
  readonly tls?: ConnectionOptions;
}

export type SmtpConfig = Pick<MailConfig, 'host' | 'port' | 'username' | 'password' | 'encryption' | 'from'>;

/** nodemailer's SMTP options for MAIL_* (exported for its test). */
export function smtpTransportOptions(config: SmtpConfig, options: SmtpMailerOptions = {}): SMTPTransportOptions {
  if (!config.host) throw new Error('MAIL_HOST: is required for the smtp mailer');
  const timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
  // tls: TLS from the first byte (port 465). starttls: upgrade when the server offers STARTTLS
  // (nodemailer does so by default), plain when it does not. none: never upgrade.
  const encryption =
    config.encryption === 'tls'
      ? { secure: true }
      : config.encryption === 'starttls'
        ? { secure: false, requireTLS: false }
        : { secure: false, ignoreTLS: true };
  return {
    host: config.host,
    port: config.port,
    ...encryption,
    // Only with a username: an empty AUTH would be refused by servers that need none.
    ...(config.username ? { auth: { user: config.username, pass: config.password ?? '' } } : {}),
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    ...(options.tls ? { tls: options.tls } : {}),
    ...SAFE_CONTENT,
  };
}

/** Sends through an SMTP server (MAIL_HOST, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_ENCRYPTION). */
export class SmtpMailer implements Mailer {
  readonly driver = 'smtp' as const;
  readonly #transport;
  readonly #where: string;

  constructor(
    private readonly config: SmtpConfig,
    private readonly logger: Logger,
    options: SmtpMailerOptions = {},
  ) {
    this.#transport = nodemailer.createTransport(smtpTransportOptions(config, options));
    this.#where = `mail (smtp ${config.host}:${config.port}, ${config.encryption})`;
  }

  async send(message: MailMessage): Promise<SentMail> {
    checkMessage(this.#where, message);
    try {
      const info = await this.#transport.sendMail(toSendMailOptions(message, this.config.from));
      this.logger.info({ mail: { to: recipients(message), subject: message.subject, messageId: info.messageId } }, 'mail sent');
      return { messageId: info.messageId };
    } catch (error) {
      throw mailError(this.#where, error);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#transport.verify();
    } catch (error) {
      throw mailError(this.#where, error);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
