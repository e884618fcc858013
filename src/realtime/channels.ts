/** Pusher channel names: letters, digits and `_-=@,.;`, at most 164 characters (the protocol's limit). */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;

export type ChannelKind = 'public' | 'private' | 'presence' | 'encrypted';

export function isChannelName(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_NAME.test(name);
}

export function channelKind(name: string): ChannelKind {
  if (name.startsWith('private-encrypted-')) return 'encrypted';
  if (name.startsWith('private-')) return 'private';
  if (name.startsWith('presence-')) return 'presence';
  return 'public';
}

/**
 * Is a browser's Origin header allowed by `patterns` (`*`, `host`, `*.domain`)? A missing
 * Origin is a non-browser client (a backend, a mobile SDK): origins protect browsers only.
 */
export function originAllowed(origin: string | undefined, patterns: readonly string[]): boolean {
  if (origin === undefined || patterns.includes('*')) return true;
  let host: string;
  try {
    host = new URL(origin).hostname.toLowerCase();
  } catch {
    return false;
  }
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));
}
