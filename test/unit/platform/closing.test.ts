/**
 * A request that reaches the mediator while it stops (on a keep-alive connection busy when
 * SIGTERM came) is answered like every other error: 503 with an OperationOutcome saying to send it
 * again, inside the OpenHIM envelope when OpenHIM sent it, and the connection closed, rather than
 * Fastify's bare `{"error":"Service Unavailable"}` that no FHIR client or OpenHIM reads.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { buildApp } from '../../../src/app.js';
import { loadSettings } from '../../../src/config/load.js';
import openhimPlugin from '../../../src/openhim/plugin.js';
import { memoryServices } from '../../support/memory-services.js';
import { basicAuth, TEST_PASSWORD } from '../../support/app.js';

/** An app with a route `/slow` that answers once `release` is called, listening on a free port. */
async function appWithSlowRoute() {
  const settings = loadSettings({ AUTH_PASSWORD: TEST_PASSWORD } as NodeJS.ProcessEnv);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let arrived!: () => void;
  const inFlight = new Promise<void>((r) => (arrived = r));
  const app = await buildApp({
    settings: () => settings,
    services: () => memoryServices().services,
    softwareVersion: '0.0.0-test',
    plugins: [
      async (a: FastifyInstance) => {
        await a.register(openhimPlugin, { urn: 'urn:mediator:test', bodyLimitBytes: () => 65536 });
        a.get('/slow', async () => {
          arrived();
          await released;
          return { done: true };
        });
      },
    ],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, release, inFlight, port: (app.server.address() as AddressInfo).port };
}

/**
 * GET /slow on one connection, the app's close begun while it runs, then `second` on the same
 * connection: both raw answers, once the connection has closed.
 */
async function secondRequestMidStop(t: Test, second: string): Promise<string[]> {
  const { app, release, inFlight, port } = await appWithSlowRoute();
  const socket = net.connect(port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  let received = '';
  socket.on('data', (b) => (received += b.toString()));
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(`GET /slow HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth}\r\n\r\n`);
  await inFlight;
  const closed = app.close();
  // the connection is busy, so the close keeps it: a second request on it arrives mid-stop
  const secondRead = new Promise<void>((r) => app.server.on('request', (req) => req.url !== '/slow' && r()));
  socket.write(second);
  await secondRead;
  release();
  await closed;
  await ended;
  return received.split(/(?=HTTP\/1\.1 )/);
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

t.test('a request met mid-stop: 503 OperationOutcome, connection closed', async (t) => {
  const answers = await secondRequestMidStop(
    t,
    `GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth}\r\n\r\n`,
  );
  t.equal(answers.length, 2, `two answers: ${answers.join('').slice(0, 200)}`);
  t.match(answers[0], /^HTTP\/1\.1 200 /, 'the request in flight finishes');
  t.match(answers[1], /^HTTP\/1\.1 503 /, 'the one after it is refused');
  t.match(answers[1], /\r\nconnection: close\r\n/i, 'and the connection closed');
  t.match(answers[1], /\r\nretry-after: 1\r\n/i);
  t.match(bodyOf(answers[1]), {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'transient', diagnostics: /shutting down .* send it again/ }],
  });
});

t.test('through OpenHIM: the envelope, with error set so OpenHIM sends it again', async (t) => {
  const answers = await secondRequestMidStop(
    t,
    `POST /fhir/SupplyRequest HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth}\r\n` +
      `x-openhim-transactionid: 65a0c0ffee0000000000abcd\r\ncontent-type: application/fhir+json\r\n` +
      `content-length: 2\r\n\r\n{}`,
  );
  t.equal(answers.length, 2);
  t.match(answers[1], /content-type: application\/json\+openhim/i);
  const envelope = bodyOf(answers[1]);
  t.equal(envelope.response.status, 503);
  t.ok(envelope.error, 'error set: OpenHIM retries it');
  t.match(JSON.parse(envelope.response.body), { resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
});
