import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Mailer } from './contract.ts';
import { LogMailer } from './log.ts';
import { SmtpMailer } from './smtp.ts';

/** The mailer MAIL_MAILER picks: `log` (embedded, .eml files) or `smtp` (default when MAIL_HOST is set). */
export function createMailer(config: Pick<Config, 'mail'>, logger: Logger): Mailer {
  switch (config.mail.mailer) {
    case 'log':
      return new LogMailer(config.mail, logger);
    case 'smtp':
      return new SmtpMailer(config.mail, logger);
  }
}
