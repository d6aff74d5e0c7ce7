/**
 * Every response the mediator sends passes through the redactor at the last step before it is
 * compressed and written: FHIR bodies and OperationOutcomes, OpenHIM envelopes (orchestrations
 * included), /ready, /metrics, admin views and response headers. Routes need not know about it.
 *
 * Register after any hook that rewrites the payload (the OpenHIM envelope) and before
 * compression: onSend hooks run in registration order.
 */
import { pipeline, Readable, Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { cleanCut } from './escape-bounds.js';
import { isRedactedBy } from './redacted-payload.js';
import { processRedactor, type Redactor } from './redaction.js';
import { TextMemo } from './text-memo.js';

/** Past this much text held back without a clean cut, the head is let go as redacted in the whole. */
const MAX_HELD = 1 << 20;

/**
 * Redacts a streamed body chunk by chunk, each emitted piece as one redaction of the whole would
 * write it. A secret can straddle two chunks, so a tail that could hold the start of one is kept
 * back, unredacted, until the next chunk (or the end) arrives: kept redacted, a form starting
 * inside a masked one and running into the next chunk lost its start to the mask and its end
 * went out in clear. Bytes are decoded across chunks, so a character split between two is whole.
 */
export function redactingStream(redactor: Redactor): Transform {
  const holdBackNow = holdBackOf(redactor);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  // after a mask crossed the cut, no new try until the held text has doubled: trying at every
  // chunk redacted the whole held text each time (a 1.2 M-character token in 1 KiB chunks: 50 s
  // of CPU, where the held text doubling bounds it to ~11 tries per MiB)
  let retryAt = 0;
  return new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      pending += Buffer.isBuffer(chunk) ? decoder.write(chunk) : chunk;
      const holdBack = holdBackNow();
      if (pending.length <= holdBack * 2) return done();
      if (pending.length < retryAt && pending.length <= MAX_HELD) return done();
      const cut = pieceCut(pending, pending.length - holdBack);
      const head = cleanHead(redactor, pending, cut);
      if (head !== undefined) {
        pending = pending.slice(cut);
        retryAt = 0;
        return done(null, head);
      }
      retryAt = pending.length * 2;
      if (pending.length <= MAX_HELD) return done(); // a mask crosses the cut: wait for more text
      // bounded memory over exactness: the old way, the tail kept as redacted (all of it when the
      // redacted text is shorter than the hold: a negative cut sent the start of a secret still
      // to come)
      const redacted = redactor.redact(pending);
      const at = pieceCut(redacted, Math.max(0, redacted.length - holdBack));
      pending = redacted.slice(at);
      retryAt = 0;
      done(null, redacted.slice(0, at));
    },
    flush(done) {
      done(null, redactor.redact(pending + decoder.end()));
    },
  });
}

/**
 * How much text is held back: the longest known form and a margin, asked again whenever the
 * redactor learns (its generation changes). A token learnt while a reply streams (a login on
 * another request) may have forms longer than the hold taken at the start: held by that, such a
 * token never stood whole in the held text, and went out in clear piece by piece.
 */
function holdBackOf(redactor: Redactor): () => number {
  let generation = -1;
  let holdBack = 0;
  return () => {
    if (redactor.generation !== generation) {
      generation = redactor.generation;
      holdBack = Math.max(0, ...redactor.knownForms().map((f) => f.length)) + 256;
    }
    return holdBack;
  };
}

/** `at`, or one before it when it would split a surrogate pair (each half would be written as U+FFFD). */
function cutBetweenCharacters(text: string, at: number): number {
  const before = text.charCodeAt(at - 1);
  return before >= 0xd800 && before <= 0xdbff ? at - 1 : at;
}

/**
 * Where the held text is cut, at or before `at`: between two characters, and where the rest read
 * alone sees the escapes the whole has (escape-bounds cleanCut). Cut inside a run of backslashes
 * longer than the hold, the rest was read from the wrong parity: a secret after `\\` masked with
 * the last backslash (`\**********`, no longer JSON).
 */
function pieceCut(text: string, at: number): number {
  for (;;) {
    const cut = cutBetweenCharacters(text, cleanCut(text, at));
    if (cut === at) return cut;
    at = cut;
  }
}

/**
 * The redaction of the text's first `cut` characters when no mask crosses the cut (redacting the
 * two sides apart gives what redacting the whole gives), else undefined.
 */
function cleanHead(redactor: Redactor, text: string, cut: number): string | undefined {
  const whole = redactor.redact(text);
  if (whole === text) return text.slice(0, cut); // nothing masked at all: no match crosses the cut
  const head = redactor.redact(text.slice(0, cut));
  return whole === head + redactor.redact(text.slice(cut)) ? head : undefined;
}

function redactHeaders(reply: FastifyReply, redactor: Redactor): void {
  const headers = reply.getHeaders();
  // one check over all values first: a reply's headers almost never carry a secret
  let all = '';
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') all += `${value}\n`;
    else if (Array.isArray(value)) all += `${value.join('\n')}\n`;
  }
  if (!redactor.leaks(all)) return;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') {
      const masked = redactor.redact(value);
      if (masked !== value) reply.header(name, masked);
    } else if (Array.isArray(value)) {
      const masked = value.map((v) => redactor.redact(String(v)));
      if (masked.some((m, i) => m !== value[i])) reply.header(name, masked);
    }
  }
}

/** Text we can mask: not compressed, and of a textual type (or untyped). */
function isPlainText(reply: FastifyReply): boolean {
  if (reply.getHeader('content-encoding')) return false;
  const type = String(reply.getHeader('content-type') ?? '');
  return type === '' || /json|text|xml|csv|javascript|x-www-form-urlencoded/i.test(type);
}

export function registerResponseRedaction(app: FastifyInstance, redactor: Redactor = processRedactor): void {
  // a repeated search answers the same text: its redaction (~4 % of a 20-item Location search,
  // issue 18) is remembered under the redactor's generation
  const memo = new TextMemo<string>(redactor);
  const redactText = (text: string) => memo.get(text, '', (t) => redactor.redact(t));
  // a callback hook, not an async one: nothing here waits, and a promise per reply is not free
  app.addHook('onSend', (_request, reply, payload, done) => {
    try {
      done(null, redactedPayload(reply, payload, redactor, redactText));
    } catch (err) {
      done(err as Error);
    }
  });
}

function redactedPayload(
  reply: FastifyReply,
  payload: unknown,
  redactor: Redactor,
  redactText: (text: string) => string,
): unknown {
  redactHeaders(reply, redactor);
  if (typeof payload === 'string') return isRedactedBy(reply, payload, redactor) ? payload : redactText(payload);
  if (!isPlainText(reply)) return payload;
  if (Buffer.isBuffer(payload)) {
    const text = payload.toString('utf8');
    return redactor.leaks(text) ? Buffer.from(redactor.redact(text), 'utf8') : payload;
  }
  if (payload instanceof Readable) {
    reply.removeHeader('content-length');
    return pipeline(payload, redactingStream(redactor), () => {}); // errors end the reply through the source
  }
  return payload;
}
