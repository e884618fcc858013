import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Mailer } from './contract.ts';

/** The mailer MAIL_MAILER picks: `log` (embedded, .eml files) or `smtp` (default when MAIL_HOST is set); only its module is imported. */
export async function createMailer(config: Pick<Config, 'mail'>, logger: Logger): Promise<Mailer> {
  switch (config.mail.mailer) {
    case 'log': {
      const { LogMailer } = await import('./log.ts');
      return new LogMailer(config.mail, logger);
    }
    case 'smtp': {
      const { SmtpMailer } = await import('./smtp.ts');
      return new SmtpMailer(config.mail, logger);
    }
  }
}
