/**
 * adminErrorAnswer: an error of ours is a 500 without its message, and it is logged with its stack
 * (a Fastify error handler of one's own logs nothing unless it does: the "details stay in the log"
 * its answer promised were nowhere).
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import t from 'tap';
import { adminErrorAnswer } from '../../../src/admin/error-answer.js';

t.test('an internal error: 500 without its message, logged with its stack', async (t) => {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level: 'info' }, sink) });
  t.teardown(() => app.close());
  app.setErrorHandler(adminErrorAnswer);
  app.get('/boom', async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'rows')");
  });
  const res = await app.inject({ method: 'GET', url: '/boom' });
  t.equal(res.statusCode, 500);
  t.same(res.json().issue, [{ severity: 'error', code: 'exception', diagnostics: 'internal error' }]);
  t.notMatch(res.body, /Cannot read/, 'the message stays out of the answer');
  t.match(
    lines.filter((l) => l.level === 50),
    [
      {
        msg: 'unhandled error',
        err: { type: 'TypeError', stack: /Cannot read properties[\s\S]*error-answer\.test\.ts/ },
      },
    ],
    'and goes to the log, with the stack',
  );
});
