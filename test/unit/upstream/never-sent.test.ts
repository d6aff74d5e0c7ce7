/**
 * A transport error says the request certainly never reached the server (UpstreamError.neverSent)
 * only when it failed while connecting, and only when no earlier try of the same call may have
 * reached it: a write that sees it true takes its call as not landed (msupply receipts).
 */
import t from 'tap';
import { anonymous } from '../../../src/upstream/auth/types.js';
import { connectPhaseFailure } from '../../../src/upstream/errors.js';
import { failure, upstreamAsAlice } from './harness.js';

/** Nothing listens there: a connection is refused. */
const REFUSING = 'http://127.0.0.1:1';

t.test('a connection refused: never sent', async (t) => {
  const { settings, client } = await upstreamAsAlice(t, () => anonymous, 1);
  settings.baseUrl = REFUSING;
  const err = await failure(client.call({ method: 'POST', path: '/things', body: { n: 1 } }));
  t.match(err.message, /ECONNREFUSED/);
  t.equal(err.transient, true);
  t.equal(err.neverSent, true, 'refused while connecting');
});

t.test('a request reset after it was read: may have been sent', async (t) => {
  const { u, client } = await upstreamAsAlice(
    t,
    () => anonymous,
    1,
    (app) => {
      app.post('/things', async (req) => {
        req.raw.socket.destroy();
      });
    },
  );
  const err = await failure(client.call({ method: 'POST', path: '/things', body: { n: 1 } }));
  t.equal(u.hits('POST /things'), 1, 'it reached the server');
  t.equal(err.transient, true);
  t.equal(err.neverSent, false);
});

t.test('a retried call refused while connecting after a try that reached the server: may have been sent', async (t) => {
  const { u, settings, client } = await upstreamAsAlice(
    t,
    () => anonymous,
    1,
    (app) => {
      app.put('/count', async (req) => {
        // the link goes down with this answer lost: the retry is refused while connecting
        settings.baseUrl = REFUSING;
        req.raw.socket.destroy();
      });
    },
  );
  const err = await failure(client.call({ method: 'PUT', path: '/count', body: { n: 1 }, retry: true }));
  t.equal(u.hits('PUT /count'), 1, 'the first try reached the server, none after');
  t.match(err.message, /ECONNREFUSED/, 'the last try was refused while connecting');
  t.equal(err.neverSent, false, 'an earlier try may have landed');
});

t.test('only the errors undici raises while connecting count', async (t) => {
  // as Node raises them: a system call's error names the call (net.connect, dns.lookup)
  const withCode = (code: string, syscall?: string) => Object.assign(new Error(code), { code, syscall });
  for (const code of ['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH'])
    t.equal(connectPhaseFailure(withCode(code, 'connect')), true, code);
  for (const code of ['ENOTFOUND', 'EAI_AGAIN'])
    t.equal(connectPhaseFailure(withCode(code, 'getaddrinfo')), true, code);
  t.equal(connectPhaseFailure(withCode('UND_ERR_CONNECT_TIMEOUT')), true, 'the connect timeout');
  for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
    t.equal(connectPhaseFailure(withCode(code)), false, code);
  t.equal(connectPhaseFailure(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), false, 'our deadline');
  t.equal(connectPhaseFailure(undefined), false);
});

t.test('an unreachable host or a refusal on a connection already made: may have been sent', async (t) => {
  // a link that drops while a request is written: the kernel gives up retransmitting and reports
  // the ICMP error it got (EHOSTUNREACH, ENETUNREACH, even ECONNREFUSED) on the open socket, which
  // undici hands to the request as is; the server may have read the whole request by then
  for (const code of ['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH'])
    for (const syscall of ['read', 'write', undefined])
      t.equal(
        connectPhaseFailure(Object.assign(new Error(`${syscall} ${code}`), { code, syscall })),
        false,
        `${code} from ${syscall ?? 'no system call'}`,
      );
});

t.test('every address refused while connecting (Node tries each, happy eyeballs): never sent', async (t) => {
  const refused = (address: string) =>
    Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED', syscall: 'connect' });
  const all = Object.assign(new AggregateError([refused('::1:1'), refused('127.0.0.1:1')]), { code: 'ECONNREFUSED' });
  t.equal(connectPhaseFailure(all), true);
  const mixed = Object.assign(
    new AggregateError([
      refused('::1:1'),
      Object.assign(new Error('read EHOSTUNREACH'), { code: 'EHOSTUNREACH', syscall: 'read' }),
    ]),
    { code: 'ECONNREFUSED' },
  );
  t.equal(connectPhaseFailure(mixed), false, 'one of them not while connecting');
});
