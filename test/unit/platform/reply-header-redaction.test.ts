// The response hook masks a secret in any header a reply sends, whether the route set it through
// Fastify or on the raw response, and keeps the headers of a reply holding none (a guard for any
// cheaper reading of a reply's headers, issue 18: bench/RESULTS.md, session 40, E4).
import Fastify, { type RouteHandlerMethod } from 'fastify';
import t from 'tap';
import { MASK, Redactor } from '../../../src/platform/redaction.js';
import { registerResponseRedaction } from '../../../src/platform/response-redaction.js';

const SECRET = 'hdr-secret-77';

async function appWith(route: RouteHandlerMethod) {
  const redactor = new Redactor();
  redactor.learn(SECRET);
  const app = Fastify();
  registerResponseRedaction(app, redactor);
  app.get('/x', route);
  await app.ready();
  return app;
}

t.test('a header set through Fastify: the one carrying the secret is masked, the others kept', async (t) => {
  const app = await appWith(async (_q, reply) =>
    reply
      .code(201)
      .header('ETag', 'W/"d8cb04b016e2be9c7020"')
      .header('Location', `http://h/fhir/SupplyRequest/${SECRET}`)
      .header('x-list', ['plain', `a ${SECRET}`])
      .send({ ok: true }),
  );
  const res = await app.inject({ url: '/x' });
  t.equal(res.headers.location, `http://h/fhir/SupplyRequest/${MASK}`);
  t.same(res.headers['x-list'], ['plain', `a ${MASK}`]);
  t.equal(res.headers.etag, 'W/"d8cb04b016e2be9c7020"');
  t.notOk(JSON.stringify(res.headers).includes(SECRET));
  await app.close();
});

t.test('a header set on the raw response is masked too, beside Fastify’s own', async (t) => {
  const app = await appWith(async (_q, reply) => {
    reply.raw.setHeader('x-raw', `Basic ${SECRET}`);
    return reply.header('x-own', `own ${SECRET}`).send('text');
  });
  const res = await app.inject({ url: '/x' });
  t.equal(res.headers['x-raw'], `Basic ${MASK}`);
  t.equal(res.headers['x-own'], `own ${MASK}`);
  t.equal(res.body, 'text');
  await app.close();
});

t.test('a reply with no secret in its headers keeps them as they were', async (t) => {
  const app = await appWith(async (_q, reply) =>
    reply.header('last-modified', 'Thu, 01 Jan 2026 00:00:00 GMT').send('x'),
  );
  const res = await app.inject({ url: '/x' });
  t.equal(res.headers['last-modified'], 'Thu, 01 Jan 2026 00:00:00 GMT');
  await app.close();
});
