import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError } from 'fastify';
import { HttpError } from './errors.ts';
import { errorPage } from './layout.ts';
import { NODE_HEADER } from './node-header.ts';
import { securityHeaderList } from './security-headers.ts';

/** Longest URL quoted back in an error message: the rest is cut. */
const MAX_QUOTED_URL = 200;
/** A request line longer than this in a 431 is a URL that is too long (414), not a header. */
const LONG_REQUEST_LINE = 4_096;

/** A client's URL as an error message may quote it: as sent (never the internal `/<app>/…` path), and cut short. */
export function quotedUrl(url: string): string {
  return url.length > MAX_QUOTED_URL ? `${url.slice(0, MAX_QUOTED_URL)}…` : url;
}

/**
 * What Fastify raises before a request is routed (its `frameworkErrors`), in Marg's terms:
 * the messages are Marg's own, since Fastify's quote the rewritten path (`/flow/api/…`).
 */
export function frameworkError(error: FastifyError): HttpError {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return new HttpError(400, 'bad_url', 'The URL is not valid: it has a malformed percent-escape.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HttpError(414, 'uri_too_long', 'A part of the URL is too long.');
    default:
      return new HttpError(500, 'internal_error', 'Something went wrong on our side. It has been logged.');
  }
}

/**
 * Fastify's messages for the errors it raises while reading a request, replaced by Marg's:
 * none of them may quote the rewritten path. Unknown codes keep Fastify's message, with the
 * rewritten path put back as the client sent it.
 */
export function clientErrorMessage(error: FastifyError, rewrittenPath: string, originalPath: string): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The body is not valid JSON.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The body is empty, but the content type says JSON.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The body is too large.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'This content type is not accepted: send application/json or a form.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The body does not match its Content-Length.';
    default: {
      const message = rewrittenPath ? error.message.replaceAll(rewrittenPath, quotedUrl(originalPath)) : error.message;
      return message.length > 300 ? `${message.slice(0, 300)}…` : message;
    }
  }
}

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (`clientError`): headers
 * too large (431), a URL too long (414: Node counts the request line into the header limit), a
 * request that is not HTTP or names an unknown method (400), a client too slow to send (408).
 * Written straight to the socket, but in Marg's shape: `{error:{code,message}}` (a page when the
 * request asked for HTML), the security headers and an `x-request-id`.
 */
export function clientErrorHandler(domain: string, node: string | undefined, log: (fields: { reqId: string; status: number; code: string | undefined }) => void) {
  const security = securityHeaderList(domain)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return function onClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : '';
    const requestLine = raw.indexOf('\r\n') === -1 ? raw : raw.slice(0, raw.indexOf('\r\n'));
    let refusal: HttpError;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      refusal = new HttpError(408, 'request_timeout', 'The request took too long to arrive.');
    } else if (error.code === 'HPE_HEADER_OVERFLOW' && requestLine.length > LONG_REQUEST_LINE) {
      refusal = new HttpError(414, 'uri_too_long', 'The URL is too long.');
    } else if (error.code === 'HPE_HEADER_OVERFLOW') {
      refusal = new HttpError(431, 'headers_too_large', 'The request headers are too large.');
    } else if (error.code === 'HPE_INVALID_METHOD') {
      refusal = new HttpError(400, 'bad_request', 'Unknown request method.');
    } else {
      refusal = new HttpError(400, 'bad_request', 'The request is not valid HTTP.');
    }
    const requestId = randomUUID();
    // Never the error itself: its rawPacket holds the request's headers, cookies included.
    log({ reqId: requestId, status: refusal.statusCode, code: error.code });
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const reason = STATUS_CODES[refusal.statusCode] ?? 'Error';
    // A page for a browser, as other errors; JSON for API and health paths and every other client.
    const wantsHtml = /\r\naccept:[^\r\n]*text\/html/i.test(raw) && !/^\S+ \/(api|health)(\/|\?| |$)/i.test(requestLine);
    const [type, body] = wantsHtml
      ? ['text/html; charset=utf-8', errorPage({ status: refusal.statusCode, title: reason, message: refusal.message, ways: [{ href: '/', label: 'Home' }] }).value]
      : ['application/json; charset=utf-8', JSON.stringify({ error: { code: refusal.code, message: refusal.message } })];
    const head =
      `HTTP/1.1 ${refusal.statusCode} ${reason}\r\n${security}x-request-id: ${requestId}\r\n${node === undefined ? '' : `${NODE_HEADER}: ${node.replace(/[^\x20-\x7e]/g, '')}\r\n`}` +
      `content-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n`;
    socket.write(head + body, () => socket.destroy());
  };
}
