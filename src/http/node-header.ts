export const NODE_HEADER = 'x-marg-node';

/**
 * With MARG_NODE_HEADER on (`marg cluster` turns it on for its web nodes), names the node on
 * every response (`X-Marg-Node: web-2`, its MARG_NODE_NAME), so that behind a load balancer an
 * operator, a test or a bug report can tell which node answered. Off by default: a host name
 * and pid tell strangers about the machine.
 */
export function nodeHeaderName(config: { readonly nodeHeader: boolean; readonly nodeName: string | undefined }): string | undefined {
  return config.nodeHeader ? config.nodeName : undefined;
}
