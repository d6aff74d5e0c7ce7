import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too slow or too large,
 * a request line that is not HTTP). Fastify's default answer is its own JSON; a FHIR client gets
 * an OperationOutcome like every other error, naming the part of the request at fault.
 */
function outcomeFor(err: NodeJS.ErrnoException): {
  status: number;
  code: string;
  diagnostics: string;
  expression: string;
} {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      code: 'timeout',
      diagnostics:
        'The request was not received in time (limits.headersTimeoutMs / limits.requestTimeoutMs); send it at once',
      expression: '$this',
    };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      code: 'too-costly',
      diagnostics: 'The request headers are larger than this server accepts (16 KiB in all)',
      expression: 'Headers',
    };
  }
  return {
    status: 400,
    code: 'structure',
    diagnostics: 'The request is not well-formed HTTP/1.1',
    expression: '$this',
  };
}

/** What platform/client-errors.ts answers, re-wrapped for a request that came through OpenHIM (openhim/client-error-envelope.ts). */
export type ClientErrorWrap = (
  rawPacket: Buffer | undefined,
  answer: { status: number; contentType: string; body: string },
) => { contentType: string; body: string } | undefined;

/** Fastify's clientErrorHandler answering an OperationOutcome, wrapped by `wrap` where it applies. */
export function fhirClientErrorHandlerWith(wrap?: ClientErrorWrap) {
  return function handle(this: { log: FastifyBaseLogger }, err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, code, diagnostics, expression } = outcomeFor(err);
    this.log.debug({ code: err.code, status }, 'client error');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const outcome = {
      status,
      contentType: 'application/fhir+json; charset=utf-8',
      body: JSON.stringify({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code, diagnostics, expression: [expression] }],
      }),
    };
    // the bytes the parser was reading (Node's clientError event): a Buffer, whatever Fastify's type says
    const raw = (err as { rawPacket?: unknown }).rawPacket;
    const { contentType, body } = wrap?.(Buffer.isBuffer(raw) ? raw : undefined, outcome) ?? outcome;
    const answer = () =>
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${contentType}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    afterInFlight(socket, answer);
  };
}

/**
 * Answers the bad request (`answer`) once the answer to an earlier request on the connection is
 * written (keep-alive: bad bytes after a whole request, its handler still at work or its answer
 * still streaming). Written at once, the error went out as the first answer, which a client pairs
 * with its first request (an order it posted, then told 400 while it was recorded: sent again),
 * or into the middle of that answer's body, and the answer itself was lost on the ended socket.
 * Node's own handler checks the same (`_httpMessage`, its in-flight response). A response already
 * begun for this very request (answered early, its body still arriving) is its answer: the
 * connection is closed after it, no second one written. No response, or one to this request
 * not begun (its body too slow): answered now, as before.
 */
function afterInFlight(socket: Socket, answer: () => void): void {
  const res = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (!res || res.writableFinished || (!res.headersSent && !res.req.complete)) {
    answer();
    return;
  }
  const ownAnswered = !res.req.complete;
  res.once('close', () => {
    if (ownAnswered || !socket.writable) socket.destroy();
    else answer();
  });
}

export const fhirClientErrorHandler = fhirClientErrorHandlerWith();
