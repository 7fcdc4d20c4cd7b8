/**
 * The baseline: bare Fastify serving one fixed 24-item JSON page (a real feed page captured
 * from the API, so the same bytes), serialised per request. Forked by run.ts.
 */
import Fastify from 'fastify';

const page = JSON.parse(process.env.BENCH_STATIC_PAGE ?? '{}') as unknown;
const app = Fastify({ logger: false });
app.get('/static', (_request, reply) => {
  void reply.type('application/json; charset=utf-8').send(JSON.stringify(page));
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
process.on('message', () => {
  void app.close().finally(() => process.exit(0));
});
