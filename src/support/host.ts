/** A host as it goes into a URL or a `host:port` address: IPv6 literals in brackets (`[::1]`), others as they are. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
