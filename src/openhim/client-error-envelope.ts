/**
 * A request Node's HTTP parser refuses before Fastify sees it (headers larger than 16 KiB: 431)
 * is answered by platform/client-errors.ts; when it came through OpenHIM, in OpenHIM's format too.
 * Core parses an answer as the mediator's only when it is `application/json+openhim` (openhim-core-js
 * src/middleware/router.js, primary route), and keeps a bare OperationOutcome as a response of
 * unknown shape: its console then shows no mediator status, and the transaction is not told apart
 * from a mediator that answers oddly. The parser's error carries the bytes it was reading
 * (Node's `clientError` event, err.rawPacket): the header is looked for there, whatever its value
 * (as the plugin envelopes any request that bears it). Those are the chunk read when the limit
 * was passed: core writes a request's head at once, so its header is among them; one read in an
 * earlier chunk is missed, and that answer stays the bare OperationOutcome.
 */
import type { ClientErrorWrap } from '../platform/client-errors.js';
import { OPENHIM_CONTENT_TYPE } from './envelope.js';
import { openHimEnvelopeText } from './envelope-text.js';

/** A header line of the request head: after a line break, so never a value that merely holds the name. */
const TRANSACTION_ID_LINE = /\r\nx-openhim-transactionid[ \t]*:[ \t]*\S/i;

/** Whether the bytes the parser read carry OpenHIM's transaction id header. */
export function bearsOpenHimTransactionId(rawPacket: Buffer | undefined): boolean {
  // latin1: one character per byte, whatever the head holds (no UTF-8 decoding to fail)
  return !!rawPacket && TRANSACTION_ID_LINE.test(rawPacket.toString('latin1'));
}

export function openHimClientErrorEnvelope(urn: string): ClientErrorWrap {
  return (rawPacket, answer) => {
    if (!bearsOpenHimTransactionId(rawPacket)) return undefined;
    const body = openHimEnvelopeText({
      urn,
      response: { status: answer.status, headers: { 'content-type': answer.contentType }, body: answer.body },
      orchestrations: [],
    });
    return { contentType: `${OPENHIM_CONTENT_TYPE}; charset=utf-8`, body };
  };
}
