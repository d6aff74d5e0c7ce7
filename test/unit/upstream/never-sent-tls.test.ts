/**
 * TLS and UpstreamError.neverSent: a server certificate this side refuses (self-signed, expired,
 * another name) is refused before undici writes the request, so the call was never sent. A
 * server refusing the handshake (wanting a client certificate) reaches undici as a socket closed,
 * as a drop after the request does: it stays "may have been sent".
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { anonymous } from '../../../src/upstream/auth/types.js';
import { markingConnector } from '../../../src/upstream/connect-phase.js';
import { connectPhaseFailure } from '../../../src/upstream/errors.js';
import { failure, upstreamAsAlice } from './harness.js';
import { selfSigned as makeSelfSigned } from '../../support/self-signed.js';

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed certificate for 127.0.0.1, made for the test. */
function selfSigned(t: Test): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'never-sent-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makeSelfSigned(dir, 'upstream', 'IP:127.0.0.1');
  return { key: readFileSync(path.join(dir, 'upstream.key')), cert: readFileSync(path.join(dir, 'upstream.crt')) };
}

/**
 * An HTTPS server counting the requests it read; `options` as node:https takes them. `handle`:
 * what it does with a request read before answering it (at once unless set).
 */
async function tlsServer(t: Test, options: Parameters<typeof createServer>[0]) {
  const seen = { requests: 0 };
  let before = (_req: IncomingMessage, answer: () => void) => answer();
  const server = createServer(options, (req, res) => {
    seen.requests += 1;
    req.resume().on('end', () => before(req, () => res.end('{}')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    handle: (h: typeof before) => (before = h),
  };
}

const skip = haveOpenssl() ? false : 'skipped: openssl not found';

t.test('a server certificate this side refuses (self-signed): never sent', { skip }, async (t) => {
  const server = await tlsServer(t, selfSigned(t));
  const { settings, client } = await upstreamAsAlice(t, () => anonymous, 1);
  settings.baseUrl = server.url;
  const err = await failure(client.call({ method: 'POST', path: '/things', body: { n: 1 } }));
  t.equal(err.transient, true, `a transport failure: ${err.message}`);
  t.equal(err.neverSent, true, 'refused before the request was written');
  t.equal(server.seen.requests, 0, 'the server read no request');
});

t.test('a server refusing the handshake (a client certificate wanted): may have been sent', { skip }, async (t) => {
  const pair = selfSigned(t);
  const server = await tlsServer(t, { ...pair, requestCert: true, rejectUnauthorized: true });
  // this side trusts the server: the refusal is the server's, after this side has finished (TLS 1.3)
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  t.teardown(() => agent.close());
  const err = await request(`${server.url}/things`, { method: 'POST', body: '{}', dispatcher: agent }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err, 'refused');
  t.equal(connectPhaseFailure(err), false, `nothing in it says when: ${String((err as Error)?.message)}`);
});

t.test(
  'a certificate refused at a renegotiation the server starts after reading the request: may have been sent',
  { skip },
  async (t) => {
    // TLS 1.2, renegotiated in full (a server wanting a client certificate for one path does this
    // after reading the request) with another certificate, self-signed: Node verifies it again and
    // refuses it with a code it also gives at connect, the request already read
    const pair = selfSigned(t);
    const other = selfSigned(t);
    const server = await tlsServer(t, {
      ...pair,
      maxVersion: 'TLSv1.2',
      secureOptions: constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION,
    });
    // no answer, whatever the renegotiation does: the call can only end by this side's refusal
    server.handle((req) => {
      (req.socket as TLSSocket).setKeyCert(other);
      (req.socket as TLSSocket).renegotiate({ rejectUnauthorized: false }, () => undefined);
    });
    // the transport's own connector (pool.ts), trusting the first certificate only
    const agent = new Agent({ connect: markingConnector({ ca: pair.cert, timeout: 5_000 }) });
    t.teardown(() => agent.close());
    const err = await request(`${server.url}/things`, { method: 'POST', body: '{}', dispatcher: agent }).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    t.equal(err?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'refused by the same code as a certificate at connect');
    t.equal(server.seen.requests, 1, 'the server read the request');
    t.equal(connectPhaseFailure(err), false, 'not counted as never sent');
  },
);

t.test("Node's certificate codes count only as the connector's; TLS alerts never", async (t) => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  for (const code of [
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  ])
    t.equal(connectPhaseFailure(withCode(code)), false, `${code}, not reported by the connector`);
});
