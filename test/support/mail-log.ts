import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { until } from './wait.ts';

/** The mail the log mailer (MAIL_MAILER=log) writes as .eml files, read as a mailbox. */
export class MailLog {
  readonly #seen = new Set<string>();

  constructor(private readonly directory: string) {}

  /** Mail written since the last call, parsed, oldest first. */
  async newMail(): Promise<ParsedMail[]> {
    let names: string[] = [];
    try {
      names = readdirSync(this.directory).filter((n) => n.endsWith('.eml') && !this.#seen.has(n)).sort();
    } catch {
      // No mail yet: the folder is made on the first message.
    }
    for (const name of names) this.#seen.add(name);
    return Promise.all(names.map((name) => simpleParser(readFileSync(join(this.directory, name)))));
  }

  /** Waits for the next mail to `to` (the worker sends it from the queue). */
  async next(to: string, timeoutMs = 10_000): Promise<ParsedMail> {
    let found: ParsedMail | undefined;
    await until(async () => {
      found = (await this.newMail()).find((m) => addresses(m).includes(to.toLowerCase()));
      return found !== undefined;
    }, timeoutMs);
    return found!;
  }
}

function addresses(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((t) => t.value.map((v) => (v.address ?? '').toLowerCase()));
}

/** The password reset link in a reset mail. */
export function resetLink(mail: ParsedMail): URL {
  const match = /https?:\/\/\S+\/password\/reset\?token=\S+/.exec(mail.text ?? '');
  if (!match) throw new Error(`no reset link in: ${mail.text}`);
  return new URL(match[0]);
}
