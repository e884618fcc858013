import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { JsonValue } from '../queue/contract.ts';
import type { JobHandlers } from '../queue/jobs.ts';
import type { MailAttachment, Mailer, MailMessage } from './contract.ts';

// A header value on one line: a CR or LF could only be a mistake or a header injection.
const OneLine = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[^\\r\\n]*$' });
const Address = OneLine(320);

/** What `mail.send` takes: the MailMessage, JSON-safe (attachment content as base64). */
export const MailPayloadSchema = Type.Object(
  {
    to: Type.Union([Address, Type.Array(Address, { minItems: 1, maxItems: 100 })]),
    subject: OneLine(998),
    text: Type.String(),
    html: Type.Optional(Type.String()),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            filename: OneLine(255),
            content: Type.String({ pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$', description: 'base64' }),
            contentType: Type.Optional(OneLine(255)),
          },
          { additionalProperties: false },
        ),
        { maxItems: 20 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type MailPayload = Static<typeof MailPayloadSchema>;

export class InvalidMailPayloadError extends Error {
  override name = 'InvalidMailPayloadError';
}

/** For dispatchers: `services.queue.dispatch('mail.send', mailPayload(message))`. */
export function mailPayload(message: MailMessage): MailPayload {
  return {
    to: typeof message.to === 'string' ? message.to : [...message.to],
    subject: message.subject,
    text: message.text,
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.attachments
      ? {
          attachments: message.attachments.map((a) => ({
            filename: a.filename,
            content: (typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : a.content).toString('base64'),
            ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
          })),
        }
      : {}),
  };
}

/** Checks a `mail.send` payload and turns it back into a MailMessage; throws InvalidMailPayloadError naming what is wrong. */
export function parseMailPayload(payload: JsonValue): MailMessage {
  if (!Value.Check(MailPayloadSchema, payload)) {
    const problems = [...Value.Errors(MailPayloadSchema, payload)].slice(0, 5).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new InvalidMailPayloadError(`mail.send: invalid payload (${problems.join('; ')})`);
  }
  const attachments: MailAttachment[] | undefined = payload.attachments?.map((a) => ({
    filename: a.filename,
    content: Buffer.from(a.content, 'base64'),
    ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
  }));
  return {
    to: payload.to,
    subject: payload.subject,
    text: payload.text,
    ...(payload.html !== undefined ? { html: payload.html } : {}),
    ...(attachments ? { attachments } : {}),
  };
}

/** The platform's mail job, sending through `mailer`: any code can `services.queue.dispatch('mail.send', mailPayload(message))`. */
export function mailJobs(mailer: Mailer): JobHandlers {
  return {
    'mail.send': async (payload) => {
      await mailer.send(parseMailPayload(payload));
    },
  };
}
