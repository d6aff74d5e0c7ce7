import t from 'tap';
import Fastify from 'fastify';
import { markRedacted } from '../../../src/platform/redacted-payload.js';
import { Redactor, MASK } from '../../../src/platform/redaction.js';
import { registerResponseRedaction } from '../../../src/platform/response-redaction.js';

const SECRET = 'marked-SECRET-4711';

/** An app whose route answers `body`, an onSend hook that marks `marked` as redacted by `by`, then the response hook. */
async function appWith(redactor: Redactor, by: Redactor, body: string, marked: string) {
  const app = Fastify();
  app.addHook('onSend', (_request, reply, payload, done) => {
    markRedacted(reply, marked, by);
    done(null, payload);
  });
  registerResponseRedaction(app, redactor);
  app.get('/', async (_request, reply) => reply.type('application/json').send(body));
  return app;
}

t.test('a body marked as redacted by the same redactor is not scanned again', async (t) => {
  const redactor = new Redactor();
  redactor.learn(SECRET);
  // the mark is a promise the text holds no secret: a text that does shows the pass was skipped
  const body = `{"said":"${SECRET}"}`;
  const app = await appWith(redactor, redactor, body, body);
  const res = await app.inject({ method: 'GET', url: '/' });
  t.equal(res.body, body);
});

t.test('marked by another redactor, or another text than the one sent: scanned as before', async (t) => {
  const redactor = new Redactor();
  redactor.learn(SECRET);
  const other = new Redactor();
  const body = `{"said":"${SECRET}"}`;
  for (const [what, by, marked] of [
    ['another redactor', other, body],
    ['another text', redactor, '{"said":"something else"}'],
  ] as const) {
    const app = await appWith(redactor, by, body, marked);
    const res = await app.inject({ method: 'GET', url: '/' });
    t.equal(res.body, `{"said":"${MASK}"}`, what);
    t.notOk(res.body.includes(SECRET), what);
  }
});

t.test('headers are still checked when the body is marked', async (t) => {
  const redactor = new Redactor();
  redactor.learn(SECRET);
  const app = Fastify();
  app.addHook('onSend', (_request, reply, payload, done) => {
    markRedacted(reply, payload as string, redactor);
    done(null, payload);
  });
  registerResponseRedaction(app, redactor);
  app.get('/', async (_request, reply) =>
    reply.header('x-echo', `token ${SECRET}`).type('application/json').send('{}'),
  );
  const res = await app.inject({ method: 'GET', url: '/' });
  t.equal(res.headers['x-echo'], `token ${MASK}`);
});
