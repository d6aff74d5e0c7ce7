/**
 * Headers over 16 KiB are refused by Node's HTTP parser before Fastify sees the request (431,
 * platform/client-errors.ts). Through OpenHIM, that answer comes in OpenHIM's envelope
 * (openhim/client-error-envelope.ts): core reads a mediator's answer only as
 * application/json+openhim, so the console shows the 431 as the mediator's, with its
 * OperationOutcome. Through a raw socket to the real mediator (startMediator).
 */
import { connect } from 'node:net';
import t from 'tap';
import { newTransactionId } from '../../../sandbox/openhim/index.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import { startRig } from '../../support/openlmis-e2e.js';

/** One request written whole on a fresh connection: the status line, headers and body of the answer. */
function rawHttp(port: number, request: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const end = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, head: text.slice(0, end), body: text.slice(end + 4) });
    });
    socket.end(request);
  });
}

const BIG = `X-Big: ${'a'.repeat(20_000)}\r\n`;

t.test('headers over 16 KiB through OpenHIM: a 431 in the envelope; sent directly, as before', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const port = Number(new URL(rig.mediator.url).port);
  const tx = newTransactionId();

  const routed = await rawHttp(
    port,
    `GET /fhir/Location HTTP/1.1\r\nHost: x\r\nX-OpenHIM-TransactionID: ${tx}\r\n${BIG}\r\n`,
  );
  t.equal(routed.status, 431);
  t.match(routed.head, /\r\nContent-Type: application\/json\+openhim/i, "in OpenHIM's format");
  const envelope = JSON.parse(routed.body);
  t.match(envelope, {
    'x-mediator-urn': loadMediatorConfig().urn,
    status: 'Completed',
    response: { status: 431, headers: { 'Content-Type': /application\/fhir\+json/ } },
    orchestrations: [],
  });
  t.notOk('error' in envelope, 'not for auto-retry: the same request meets the same refusal');
  t.match(JSON.parse(envelope.response.body), {
    resourceType: 'OperationOutcome',
    issue: [{ code: 'too-costly', diagnostics: /headers are larger/, expression: ['Headers'] }],
  });

  const direct = await rawHttp(port, `GET /fhir/Location HTTP/1.1\r\nHost: x\r\n${BIG}\r\n`);
  t.equal(direct.status, 431);
  t.match(direct.head, /\r\nContent-Type: application\/fhir\+json/i, 'a direct client gets the OperationOutcome');
  t.match(JSON.parse(direct.body), { resourceType: 'OperationOutcome', issue: [{ code: 'too-costly' }] });

  // a header whose value holds the name is no transaction id
  const lookalike = await rawHttp(
    port,
    `GET /fhir/Location HTTP/1.1\r\nHost: x\r\nX-Note: x-openhim-transactionid: 1\r\n${BIG}\r\n`,
  );
  t.match(lookalike.head, /\r\nContent-Type: application\/fhir\+json/i, 'only a header line of that name counts');
});
