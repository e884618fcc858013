import type { SendMailOptions } from 'nodemailer';
import type { MailConfig } from '../config/config.ts';
import { MailError, type MailMessage } from './contract.ts';

/**
 * Options every nodemailer transport here gets: messages only ever carry inline content, so
 * an attachment (or html image) can never make the mailer read a local file or fetch a URL.
 */
export const SAFE_CONTENT = { disableFileAccess: true, disableUrlAccess: true } as const;

/** The port's message as nodemailer wants it, sent from MAIL_FROM_ADDRESS / MAIL_FROM_NAME. */
export function toSendMailOptions(message: MailMessage, from: MailConfig['from']): SendMailOptions {
  return {
    from: { name: from.name, address: from.address },
    to: typeof message.to === 'string' ? message.to : [...message.to],
    subject: message.subject,
    text: message.text,
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.attachments
      ? {
          attachments: message.attachments.map((a) => ({
            filename: a.filename,
            content: a.content,
            ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
          })),
        }
      : {}),
  };
}

/** Recipients for a log line: addresses only, never the body. */
export function recipients(message: MailMessage): string[] {
  return typeof message.to === 'string' ? [message.to] : [...message.to];
}

/** What every driver refuses before building anything, so that both fail alike. */
export function checkMessage(where: string, message: MailMessage): void {
  if (recipients(message).filter((r) => r.trim() !== '').length === 0) throw new MailError(`${where}: the message has no recipients`, 'EENVELOPE');
}

/** Wraps whatever nodemailer threw into a MailError whose message says where and why. */
export function mailError(where: string, error: unknown): MailError {
  if (error instanceof MailError) return error;
  const e = error as { code?: unknown; message?: unknown; responseCode?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // 530 (RFC 4954): the server wants AUTH before MAIL FROM; nodemailer reports it as an envelope error.
  const reason = e?.responseCode === 530 ? REASONS.ENOAUTH : REASONS[code ?? ''];
  const detail = typeof e?.message === 'string' ? e.message : String(error);
  return new MailError(`${where}: ${reason ? `${reason}: ` : ''}${detail}`, code, { cause: error });
}

const REASONS: Readonly<Record<string, string>> = {
  EAUTH: 'authentication failed (check MAIL_USERNAME and MAIL_PASSWORD)',
  ENOAUTH: 'the server requires authentication (set MAIL_USERNAME and MAIL_PASSWORD)',
  ECONNECTION: 'cannot connect (check MAIL_HOST and MAIL_PORT)',
  ETIMEDOUT: 'no answer in time (check MAIL_HOST, MAIL_PORT and MAIL_ENCRYPTION)',
  ESOCKET: 'connection failed (check MAIL_HOST, MAIL_PORT and MAIL_ENCRYPTION)',
  EDNS: 'cannot resolve the host (check MAIL_HOST)',
  ETLS: 'TLS failed (check MAIL_ENCRYPTION and the server certificate)',
  EENVELOPE: 'sender or recipients refused',
  EMESSAGE: 'message refused',
};
