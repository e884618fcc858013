/** An error with the status and JSON body (`{error:{code,message,fields?}}`) it becomes. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields?: Readonly<Record<string, string>>,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, fields?: Record<string, string>) => new HttpError(400, 'bad_request', message, fields);
export const unauthenticated = () => new HttpError(401, 'unauthenticated', 'Sign in first.');
export const forbidden = (permission: string) => new HttpError(403, 'forbidden', `You need the permission "${permission}".`);
export const notFound = (what = 'Resource') => new HttpError(404, 'not_found', `${what} not found.`);
export const conflict = (message: string, fields?: Record<string, string>) => new HttpError(409, 'conflict', message, fields);
export const unprocessable = (message: string, fields: Record<string, string>) => new HttpError(422, 'validation_failed', message, fields);
export const tooManyRequests = (retryAfterSeconds: number, message = 'Too many attempts. Try again later.') =>
  new HttpError(429, 'too_many_requests', message, undefined, { 'retry-after': String(retryAfterSeconds) });
