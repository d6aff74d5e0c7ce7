/**
 * Bad bytes after a whole request on a keep-alive connection (platform/client-errors.ts): the
 * error's answer waits for the answer to the request before it. Written at once, it went out as
 * the first answer, which the client pairs with its first request (a write it is then told was
 * refused, while it is recorded), or into the middle of that answer's body, and the answer itself
 * was lost on the ended socket. Node's own handler checks its in-flight response the same way.
 */
import { connect } from 'node:net';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { fhirClientErrorHandler } from '../../../src/platform/client-errors.js';

/**
 * A server whose /held answers once `release` is called, /streamed writes its body in two parts
 * around it; `bad` settles once the client error is handled.
 */
async function server(t: Test) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  let handled!: () => void;
  const bad = new Promise<void>((resolve) => (handled = resolve));
  const app = Fastify({
    clientErrorHandler: (err, socket) => {
      fhirClientErrorHandler.call(app, err, socket);
      handled();
    },
  });
  app.get('/held', async () => {
    entered();
    await released;
    return { answer: 'the first request' };
  });
  app.get('/streamed', async (_req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    reply.raw.write('first part;');
    entered();
    await released;
    reply.raw.end('second part');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  t.teardown(release);
  return { port: (app.server.address() as { port: number }).port, release, inHandler, bad };
}

/** Writes `first`, then `then` once `ready` settles; everything read until the server closes. */
function exchange(port: number, first: string, ready: Promise<unknown>, then: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write(first);
    void ready.then(() => socket.write(then));
  });
}

const BAD = 'NOT HTTP AT ALL\r\n\r\n';

t.test('bad bytes after a request still at work: its answer first, then the 400', async (t) => {
  const { port, release, inHandler, bad } = await server(t);
  const answered = exchange(port, 'GET /held HTTP/1.1\r\nHost: x\r\n\r\n', Promise.resolve(), BAD);
  await Promise.all([inHandler, bad]);
  release();
  const text = await answered;
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/, 'the first answer is the first request’s');
  t.match(text, /the first request/, 'with its body');
  const second = text.indexOf('HTTP/1.1 400');
  t.ok(second > text.indexOf('the first request'), 'the 400 after it');
  t.match(text.slice(second), /"code":"structure"/, 'an OperationOutcome');
});

t.test('bad bytes while an answer streams: its body whole, the 400 after it', async (t) => {
  const { port, release, inHandler, bad } = await server(t);
  const answered = exchange(port, 'GET /streamed HTTP/1.1\r\nHost: x\r\n\r\n', inHandler, BAD);
  // the bad bytes reach the server while the body is half written; then it is finished
  await bad;
  release();
  const text = await answered;
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.notMatch(text, /first part;[^]*HTTP\/1\.1 400[^]*second part/, 'no 400 inside the body');
  t.match(text, /first part;[^]*second part/, 'the body whole');
});
