import { isIP } from 'node:net';
import { ConfigError } from './env-files.ts';

/**
 * Which peers may speak for the client through X-Forwarded-For / X-Forwarded-Proto:
 * `false` (nobody: the socket's address and plain TCP are the truth), `true` (everybody: `*`),
 * or a list of addresses, CIDR ranges and proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`).
 * It becomes Fastify's `trustProxy`, which then sets `request.ip` and `request.protocol`.
 */
export type TrustedProxies = boolean | readonly string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUSTED_PROXIES → Fastify's trustProxy; an entry that is not an IP, a CIDR or a named range stops startup. */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const entries = (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return false;
  if (entries.includes('*')) {
    if (entries.length > 1) throw new ConfigError(['TRUSTED_PROXIES: `*` (trust every peer) cannot be combined with other entries']);
    return true;
  }
  const bad = entries.filter((e) => !validEntry(e));
  if (bad.length > 0) {
    throw new ConfigError([`TRUSTED_PROXIES: ${bad.map((e) => JSON.stringify(e)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not an IP address, a CIDR range (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`]);
  }
  return entries;
}

function validEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** What Fastify's `trustProxy` option takes. */
export function fastifyTrustProxy(trusted: TrustedProxies): boolean | string[] {
  return typeof trusted === 'boolean' ? trusted : [...trusted];
}
