/**
 * The mediator's database away (helper E's outage test: 225 error lines with stacks in 4 s): each
 * request answered 503 logs one warning without a stack; a bug of ours still logs an error with
 * its stack.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import t from 'tap';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';

function appWithLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = Fastify({ logger: { level: 'info', stream } });
  app.setErrorHandler(fhirErrorHandler);
  app.get('/away', async () => {
    throw new Error('Connection terminated unexpectedly');
  });
  app.get('/bug', async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'id')");
  });
  return { app, lines };
}

t.test('a database away is one warning per request; a bug stays an error with its stack', async (t) => {
  const { app, lines } = appWithLog();
  t.teardown(() => app.close());
  const away = await app.inject({ method: 'GET', url: '/away' });
  t.equal(away.statusCode, 503);
  t.match(away.json(), { issue: [{ code: 'transient', diagnostics: /database is unavailable/ }] });
  const about = lines.filter((l) => l.reqId === 'req-1' && Number(l.level) >= 40);
  t.equal(about.length, 1, 'one line above info');
  t.match(about[0], { level: 40, msg: 'the mediator database is unavailable', err: /Connection terminated/ });
  t.notOk(JSON.stringify(about[0]).includes('    at '), 'no stack');

  const bug = await app.inject({ method: 'GET', url: '/bug' });
  t.equal(bug.statusCode, 500);
  const error = lines.find((l) => l.reqId === 'req-2' && l.level === 50);
  t.match(error, { msg: 'unhandled error', err: { stack: /TypeError/ } }, 'a bug: an error with its stack');
});
