import { Client } from '@elastic/elasticsearch';
import { clientRequestParams, type EsTransport } from './elastic.ts';

/** Elasticsearch 8 through the official client (its transport: the same REST calls as OpenSearch). */
export function elasticsearchTransport(url: string): EsTransport {
  const client = new Client({ node: url, requestTimeout: 30_000 });
  return {
    async request(method, path, body, bulk) {
      const response = await client.transport.request(clientRequestParams(method, path, body, bulk), { meta: true, ignore: [404, 409] });
      return { status: response.statusCode ?? 200, body: response.body };
    },
    close: () => client.close(),
  };
}
