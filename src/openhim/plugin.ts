/**
 * Fastify plugin: a request that came through OpenHIM (it carries `X-OpenHIM-TransactionID`) is
 * handled inside an orchestration recorder, and its final reply is wrapped in the
 * `application/json+openhim` envelope. Other requests are left exactly as they are.
 *
 * Register it before @fastify/compress (onSend hooks run in registration order, so we see the
 * uncompressed body); compressed payloads are inflated anyway, as a guard.
 */
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isTransientStatus, OPENHIM_CONTENT_TYPE, type MediatorStatus } from './envelope.js';
import { openHimEnvelopeText } from './envelope-text.js';
import {
  AWAITS_UPDATE_OF_PROPERTY,
  AWAITS_UPDATE_OF_REQUEST_PROPERTY,
  AWAITS_UPDATE_PROPERTY,
  openHimTransactionIdOf,
  writeTagsOf,
} from './transaction-id.js';
import {
  callsOf,
  createOrchestrationStore,
  noteClientGone,
  requestKeyOf,
  runWithOrchestrations,
  transactionJobsIn,
  writeAcceptedIn,
  type OrchestrationStore,
} from '../platform/call-recording.js';
import { markRedacted } from '../platform/redacted-payload.js';
import { processRedactor } from '../platform/redaction.js';
import type { TransactionRequest } from '../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The OpenHIM transaction id, or null when the request did not come through OpenHIM (or has an id core never makes). */
    openhimTransactionId: string | null;
    /** Free-form key/values stored on the OpenHIM transaction (upstream ids, counts, outcomes). */
    openhimProperties: Record<string, string | number | boolean> | null;
    /**
     * Set by error handling for a transient upstream failure: OpenHIM will auto-retry. `false`:
     * decided not to be retried whatever the status (a write given up, kept for an operator).
     */
    openhimTransientError: { message: string } | false | null;
  }
}

export type TransientErrorDecider = (
  request: FastifyRequest,
  reply: FastifyReply,
  body: string,
) => { message: string } | null | undefined;

export interface OpenHimPluginOptions {
  urn: string;
  /** Decides the envelope's `error`; default: `request.openhimTransientError`, else 502/503/504. */
  transientError?: TransientErrorDecider;
  /** Per-body orchestration limit; a function so a live config change applies to the next request. */
  bodyLimitBytes?: number | (() => number);
  totalBodyLimitBytes?: number;
  /** Configured secrets to scrub from orchestrations (read per request: credentials change live). */
  secretValues?: () => readonly string[];
  /** Overrides the status derived from the HTTP status. */
  status?: (request: FastifyRequest, reply: FastifyReply) => MediatorStatus | undefined;
  /**
   * Keeps a request whose transaction awaits our update (Store.recordTransactionRequest, v47),
   * before its answer leaves: its update is judged due, and built, from its writes alone. Returns
   * how many rows of other requests with its writes were dropped to keep its own (v50's bound).
   */
  recordRequest?: (request: TransactionRequest) => Promise<number | void>;
  /**
   * Lets go of a Bundle request's entry map (Store.releaseRequestEntries) when its answer owes no
   * update: its writes' entries were recorded with them before it was known that every one would
   * be answered at once (a resent transaction Bundle answered from writes already done), and
   * nothing reads the map but that update; kept, they lay in the store until retention, a new
   * X-OpenHIM-TransactionID per resend adding a Bundle's writes each time.
   */
  releaseEntries?: (transactionId: string, requestKey: string) => Promise<number | void>;
}

const STORE = Symbol('openhimOrchestrations');
type WithStore = FastifyRequest & { [STORE]?: OrchestrationStore };

const inflaters: Record<string, (buf: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

async function payloadToText(payload: unknown, encoding: string | undefined): Promise<string> {
  let bytes: Buffer;
  if (payload === null || payload === undefined) return '';
  if (typeof payload === 'string') bytes = Buffer.from(payload, 'utf8');
  else if (Buffer.isBuffer(payload)) bytes = payload;
  else if (payload instanceof Uint8Array) bytes = Buffer.from(payload);
  else if (payload instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of payload) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    bytes = Buffer.concat(chunks);
  } else bytes = Buffer.from(String(payload), 'utf8');
  const inflate = encoding ? inflaters[encoding.toLowerCase()] : undefined;
  return (inflate ? await inflate(bytes) : bytes).toString('utf8');
}

/** The OperationOutcome's first diagnostics, which our error handling keeps free of secrets. */
function messageFromBody(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as { resourceType?: string; issue?: { diagnostics?: string }[] };
    const diagnostics = parsed.resourceType === 'OperationOutcome' ? parsed.issue?.[0]?.diagnostics : undefined;
    if (diagnostics) return diagnostics;
  } catch {
    // not JSON: fall through to the generic message
  }
  return `Upstream failure (HTTP ${status})`;
}

export const defaultTransientError: TransientErrorDecider = (request, reply, body) =>
  request.openhimTransientError === false
    ? null
    : (request.openhimTransientError ??
      (isTransientStatus(reply.statusCode) ? { message: messageFromBody(body, reply.statusCode) } : null));

function headerText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * Whether a write of the request was answered before it ended (a 202 entry of a Bundle, a
 * secondary system's write still going): the transaction then awaits an update from us. Its
 * envelope carries this mediator's mark, which the update checks first (transaction-ownership.ts),
 * so no other transaction is ever updated in its name; and a 2xx answer is `Processing`, not
 * `Successful`, so OpenHIM's console does not show as done what our update may yet say failed.
 */
function awaitsOurUpdate(request: FastifyRequest, store: OrchestrationStore): boolean {
  return !!request.openhimTransactionId && writeAcceptedIn(store);
}

/** How many entries the request's Bundle has (transaction or batch), undefined when it is no Bundle. */
function bundleEntryCount(body: unknown): number | undefined {
  const b = body as { resourceType?: unknown; type?: unknown; entry?: unknown } | null;
  if (b?.resourceType !== 'Bundle' || (b.type !== 'transaction' && b.type !== 'batch')) return undefined;
  return Array.isArray(b.entry) ? b.entry.length : 0;
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/**
 * Rows of other requests with these writes dropped to keep this one's (store REQUESTS_PER_WRITES):
 * many requests repeating one routed request's writes under its id, a forger's work. Told by the
 * transaction id and the write tags, which the envelope carries too: no key, body or secret.
 */
function logDropped(request: FastifyRequest, jobIds: readonly string[], dropped: number): void {
  request.log.warn(
    { openhimTransactionId: request.openhimTransactionId, writes: writeTagsOf(jobIds), dropped },
    'OpenHIM: rows of other requests with these writes under the transaction id dropped to keep this one',
  );
}

/**
 * OpenHIM gave up on a request whose writes were already recorded (a channel timeout shorter than
 * the delivery deadline): they are delivered as recorded, while core keeps the transaction as
 * failed, with no envelope of ours to prove it routed to us, so no update of it is sent
 * (transaction-ownership.ts). Said once, so an operator reading the failed transaction finds what
 * became of its writes, and what setting to change.
 */
function logGoneAfterRecorded(request: FastifyRequest, jobIds: readonly string[]): void {
  request.log.warn(
    { openhimTransactionId: request.openhimTransactionId, writes: writeTagsOf(jobIds) },
    'OpenHIM gave up on the request after its writes were recorded: they are delivered all the same, ' +
      'though OpenHIM shows the transaction failed; its rerun is answered with their state. ' +
      'Keep outbox.deadlineMs (console: deliveryDeadlineMs) well under the channel timeout',
  );
}

const openhimPlugin: FastifyPluginCallback<OpenHimPluginOptions> = (app, options, done) => {
  const decide = options.transientError ?? defaultTransientError;
  const bodyLimit = () =>
    typeof options.bodyLimitBytes === 'function' ? options.bodyLimitBytes() : options.bodyLimitBytes;

  app.decorateRequest('openhimTransactionId', null);
  app.decorateRequest('openhimProperties', null);
  app.decorateRequest('openhimTransientError', null);

  // The store is made here, so that a reply refused before the handler (a 401) is enveloped too;
  // it is entered once, in preHandler: no hook before the handler calls an upstream, and body
  // parsing resumes in the socket's async context anyway (each AsyncLocalStorage run is not free).
  app.addHook('onRequest', (request, reply, next) => {
    if (!request.headers['x-openhim-transactionid']) return next();
    // answered in OpenHIM's format whatever the value; only one core could have made is kept
    request.openhimTransactionId = openHimTransactionIdOf(request.headers) ?? null;
    request.openhimProperties = {};
    const store = createOrchestrationStore();
    (request as WithStore)[STORE] = store;
    // core destroys its request at the channel timeout (openhim-core-js src/middleware/router.js
    // sendHttpRequest): a write not recorded by then is not recorded (Outbox.acceptWrites)
    reply.raw.once('close', () => {
      // answered: its end was written (app.inject's reply is never flushed to a socket, so not writableFinished)
      if (reply.raw.writableEnded) return;
      // said for writes recorded already, and for one whose record was under way (past its check)
      noteClientGone(store, (jobIds) => logGoneAfterRecorded(request, jobIds));
    });
    next();
  });

  // Everything the handler awaits records into this request's store.
  app.addHook('preHandler', (request, _reply, next) => {
    const store = (request as WithStore)[STORE];
    if (!store) return next();
    runWithOrchestrations(next, store);
  });

  /**
   * The request kept as its transaction's (v47) when it awaits our update: its writes, the type it
   * was answered with (read before the envelope replaces it) and its Bundle's size. A failure to
   * keep it is logged, not answered: its update is then judged as before v47.
   */
  const recordRequest = async (request: FastifyRequest, reply: FastifyReply, store: OrchestrationStore) => {
    const record = options.recordRequest;
    if (!record) return; // called only for a request that awaits our update (onSend)
    const contentType = headerText(reply.getHeader('content-type'));
    const entries = bundleEntryCount(request.body);
    try {
      const jobIds = [...new Set(transactionJobsIn(store))];
      const dropped = await record({
        transactionId: request.openhimTransactionId!,
        jobIds,
        requestKey: requestKeyOf(store), // its Bundle entry answers' (v48)
        ...(contentType ? { contentType } : {}),
        ...(entries === undefined ? {} : { entries }),
      });
      if (dropped) logDropped(request, jobIds, dropped);
    } catch (err) {
      request.log.warn(
        { err: processRedactor.redact(String(err)) },
        'OpenHIM: the request under its transaction id not kept',
      );
    }
  };

  /**
   * A Bundle request under a transaction id whose writes were all answered at once (it owes no
   * update) drops its entry map before its answer leaves. Only a Bundle that noted writes under
   * the id: other requests recorded no map, and pay no store write. A failure is logged: the rows
   * then stay until retention, as before.
   */
  const mapToRelease = (request: FastifyRequest, store: OrchestrationStore): boolean =>
    !!options.releaseEntries &&
    !!request.openhimTransactionId &&
    !awaitsOurUpdate(request, store) &&
    bundleEntryCount(request.body) !== undefined &&
    transactionJobsIn(store).length > 0;
  const releaseEntries = async (request: FastifyRequest, store: OrchestrationStore) => {
    try {
      await options.releaseEntries!(request.openhimTransactionId!, requestKeyOf(store));
    } catch (err) {
      request.log.warn(
        { err: processRedactor.redact(String(err)) },
        "OpenHIM: a request's entry map owing no update not let go",
      );
    }
  };

  /** The reply as the envelope's text, its headers set for OpenHIM. */
  const envelopeOf = (request: FastifyRequest, reply: FastifyReply, store: OrchestrationStore, body: string) => {
    const redactor = processRedactor;
    const owed = awaitsOurUpdate(request, store);
    const envelope = openHimEnvelopeText({
      urn: options.urn,
      response: {
        status: reply.statusCode,
        headers: reply.getHeaders() as Record<string, string | string[] | number | undefined>,
        body,
      },
      orchestrations: callsOf(store),
      properties: request.openhimProperties,
      // set past redaction: a secret matching part of a key or a write tag would leave a mark that
      // names no request or no write (its update refused, never sent)
      ...(owed
        ? {
            marks: {
              [AWAITS_UPDATE_PROPERTY]: options.urn,
              [AWAITS_UPDATE_OF_PROPERTY]: writeTagsOf(transactionJobsIn(store)),
              // the key its row and entry map are kept under: core hands it back, a forger's has another
              [AWAITS_UPDATE_OF_REQUEST_PROPERTY]: requestKeyOf(store),
            },
          }
        : {}),
      transientError: decide(request, reply, body),
      status: options.status?.(request, reply) ?? (owed && isSuccess(reply.statusCode) ? 'Processing' : undefined),
      bodyLimitBytes: bodyLimit(),
      totalBodyLimitBytes: options.totalBodyLimitBytes,
      secretValues: options.secretValues?.() ?? [],
      redactor,
    });
    markRedacted(reply, envelope, redactor); // the response hook's pass would find nothing more
    reply.removeHeader('content-encoding');
    reply.header('content-type', `${OPENHIM_CONTENT_TYPE}; charset=utf-8`);
    // A 204/304 reply would be sent without a body, and core would fail to parse the envelope.
    if (reply.statusCode === 204 || reply.statusCode === 304) reply.code(200);
    return envelope;
  };

  // A callback hook: a handler's JSON text (nearly every reply) is wrapped at once, and only a
  // stream or compressed bytes wait to be read.
  app.addHook('onSend', (request, reply, payload, done) => {
    const store = (request as WithStore)[STORE];
    if (!store || request.method === 'HEAD') return done(null, payload);
    const contentType = headerText(reply.getHeader('content-type'));
    if (contentType?.includes(OPENHIM_CONTENT_TYPE)) return done(null, payload); // the handler built its own envelope
    const encoding = headerText(reply.getHeader('content-encoding'));
    // the store's work for this request (its record kept, or its entry map released) before the
    // envelope leaves, so OpenHIM never sees an answer the store does not reflect yet
    const storeWork =
      options.recordRequest && awaitsOurUpdate(request, store)
        ? recordRequest(request, reply, store)
        : mapToRelease(request, store)
          ? releaseEntries(request, store)
          : undefined;
    if (storeWork) {
      storeWork
        .then(() => payloadToText(payload, encoding))
        .then((body) => envelopeOf(request, reply, store, body))
        .then(
          (envelope) => done(null, envelope),
          (err: Error) => done(err),
        );
      return;
    }
    if (typeof payload === 'string' && !encoding) {
      let envelope: string;
      try {
        envelope = envelopeOf(request, reply, store, payload);
      } catch (err) {
        return done(err as Error);
      }
      return done(null, envelope);
    }
    payloadToText(payload, encoding)
      .then((body) => envelopeOf(request, reply, store, body))
      .then(
        (envelope) => done(null, envelope),
        (err: Error) => done(err),
      );
  });

  done();
};

export default fp(openhimPlugin, { name: 'openhim-envelope', fastify: '5.x' });
export { openhimPlugin };
