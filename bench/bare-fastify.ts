// The baseline of DESIGN §6: a bare Fastify "hello world" JSON route, nothing else
// (default options, no logger). Started by bench/http.ts as its own process: PORT=<n>.
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
// Same readiness probe as Marg, so boot time is measured the same way.
app.get('/health/ready', async () => ({ status: 'ready' }));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
