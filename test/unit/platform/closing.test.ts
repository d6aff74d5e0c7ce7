/**
 * A request that reaches the mediator while it stops (pipelined, or on a keep-alive connection
 * busy when SIGTERM came) is answered like every other error: 503 with an OperationOutcome saying
 * to send it again, and the connection closed, rather than Fastify's bare
 * `{"error":"Service Unavailable"}` that no FHIR client or OpenHIM reads.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { loadSettings } from '../../../src/config/load.js';
import { memoryServices } from '../../support/memory-services.js';
import { basicAuth, TEST_PASSWORD } from '../../support/app.js';

t.test('a request pipelined behind one in flight when the stop began: 503 OperationOutcome', async (t) => {
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
      (a) => {
        a.get('/slow', async () => {
          arrived();
          await released;
          return { done: true };
        });
      },
    ],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;

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
  const secondRead = new Promise<void>((r) =>
    app.server.on('request', (req) => {
      if (req.url === '/fhir/metadata') r();
    }),
  );
  socket.write(`GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth}\r\n\r\n`);
  await secondRead;
  release();
  await closed;
  await ended;

  const answers = received.split(/(?=HTTP\/1\.1 )/);
  t.equal(answers.length, 2, `two answers: ${received.slice(0, 200)}`);
  t.match(answers[0], /^HTTP\/1\.1 200 /, 'the request in flight finishes');
  t.match(answers[1], /^HTTP\/1\.1 503 /, 'the one after it is refused');
  t.match(answers[1], /\r\nconnection: close\r\n/i, 'and the connection closed');
  t.match(answers[1], /\r\nretry-after: 1\r\n/i);
  const body = JSON.parse(answers[1].slice(answers[1].indexOf('\r\n\r\n') + 4));
  t.match(body, {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'transient', diagnostics: /shutting down .* send it again/ }],
  });
});
