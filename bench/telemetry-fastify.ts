// The telemetry recorder's per-request cost (issue 18): bare Fastify with one onResponse hook,
// which records each request into the ops app's in-memory minute when BENCH_TELEMETRY=1 and
// does nothing otherwise. Started by bench/http.ts (both variants, same rounds): PORT=<n>.
// On bare Fastify the relative cost is an upper bound: a Marg request costs far more than this.
import Fastify from 'fastify';
import { telemetry } from '../src/telemetry/recorder.ts';

const record = process.env.BENCH_TELEMETRY === '1';
const app = Fastify();
app.addHook('onResponse', (request, reply, done) => {
  if (record) telemetry.request(`${request.method} bench ${request.routeOptions.url ?? 'unmatched'}`, reply.statusCode, reply.elapsedTime);
  done();
});
app.get('/', async () => ({ hello: 'world' }));
app.get('/health/ready', async () => ({ status: 'ready' }));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
