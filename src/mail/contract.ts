/**
 * The mail port (DESIGN §2): send one message, check the transport, close it. The embedded
 * driver writes each message as an `.eml` file (nothing leaves the machine); the SMTP driver
 * hands it to a mail server. Callers never see which one runs.
 */

export interface MailAttachment {
  /** Shown to the recipient (`flow-report-2026-11-22.csv`). */
  readonly filename: string;
  /** A string is sent as UTF-8 text; a Buffer as it is. */
  readonly content: string | Buffer;
  /** Default: guessed from the file name. */
  readonly contentType?: string;
}

export interface MailMessage {
  /** One address or several (`a@example.com` or `Asha <a@example.com>`). */
  readonly to: string | readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly attachments?: readonly MailAttachment[];
}

export interface SentMail {
  /** The Message-ID header of what was sent (`<…@…>`). */
  readonly messageId: string;
}

export interface Mailer {
  readonly driver: 'log' | 'smtp';
  /** Resolves once the transport accepted the message; rejects with a MailError otherwise. */
  send(message: MailMessage): Promise<SentMail>;
  /** Checks the transport can take mail (the directory is writable; the SMTP server greets and accepts our login). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A message the transport refused or could not take: names the driver and the reason. */
export class MailError extends Error {
  override name = 'MailError';
  constructor(
    message: string,
    /** nodemailer's code when there is one (`EAUTH`, `ECONNECTION`, `ETIMEDOUT`, `EENVELOPE`). */
    readonly code: string | undefined,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}
