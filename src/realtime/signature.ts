import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

export function md5Hex(body: string | Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/** Constant-time comparison of two strings (different lengths are simply unequal). */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The `auth` of a private or presence subscription: `<key>:<HMAC-SHA256 of socket_id:channel[:channel_data]>`. */
export function channelAuth(key: string, secret: string, socketId: string, channel: string, channelData?: string): string {
  const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${key}:${hmacHex(secret, text)}`;
}

/**
 * The Pusher HTTP API signature: HMAC-SHA256 of `METHOD\nPATH\nquery` where the query is every
 * parameter but auth_signature, keys lower-cased and sorted, joined as `k=v&…` (unencoded).
 */
export function apiSignature(secret: string, method: string, path: string, query: Readonly<Record<string, string>>): string {
  const params = Object.keys(query)
    .filter((k) => k !== 'auth_signature')
    .map((k) => [k.toLowerCase(), query[k]!] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return hmacHex(secret, `${method.toUpperCase()}\n${path}\n${params}`);
}
