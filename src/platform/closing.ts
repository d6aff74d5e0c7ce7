import type { FastifyInstance } from 'fastify';
import { MediatorError } from '../domain/errors.js';

/**
 * A request that reaches an instance while it stops (SIGTERM in a rolling restart, a scale-in) is
 * answered 503 with an OperationOutcome, through the app's one error handler, so it is the same
 * answer as every other error: an OpenHIM request gets its envelope, the body passes the
 * redactor, the client is told to send it again. Fastify's own fast path for such requests
 * (`return503OnClosing`) writes a bare `{"error":"Service Unavailable"}` below every hook, which
 * is why the app turns it off (app.ts). Such requests are the ones pipelined or sent on a
 * keep-alive connection that was busy when the stop began; nothing of them is recorded.
 */
export function registerClosingAnswer(app: FastifyInstance): void {
  let closing = false;
  // preClose runs synchronously after Fastify marks its routes closed, before the server closes
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // a callback hook, not an async one: it runs on every request, and an async hook costs each a
  // promise and a microtask turn for a check that is false until the stop
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    // the socket goes with this answer, so the client's next request opens a connection elsewhere
    reply.header('connection', 'close');
    reply.header('retry-after', '1');
    done(
      new MediatorError(503, {
        code: 'transient',
        diagnostics:
          'This mediator instance is shutting down and took nothing of this request; send it again ' +
          '(another instance answers it, or this one once restarted).',
      }),
    );
  });
}
