import { Client } from '@opensearch-project/opensearch';
import { clientRequestParams, type EsTransport } from './elastic.ts';

/** OpenSearch 2 through the official client. */
export function opensearchTransport(url: string): EsTransport {
  const client = new Client({ node: url, requestTimeout: 30_000 });
  return {
    async request(method, path, body, bulk) {
      const response = await client.transport.request(clientRequestParams(method, path, body, bulk), { ignore: [404, 409] });
      return { status: response.statusCode ?? 200, body: response.body };
    },
    close: () => client.close(),
  };
}
