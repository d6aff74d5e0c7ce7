import { nonJsonAnswer } from '../../upstream/answer-shape.js';
import {
  UpstreamCallError,
  asRecord,
  decodeHttpError,
  textReason,
  unknownWriteOutcome,
  type ReasonDecoder,
  type UpstreamErrorOptions,
} from '../../upstream/errors.js';
import { RACED_KEYS, constraintRefusal, type ConstraintRefusal } from './constraint-refusal.js';

/**
 * OpenMRS's error shapes, for the shared decoder (upstream/errors.ts). The REST module wraps
 * exceptions as `{error: {message, code, detail}}` and validation failures as
 * `{error: {message: "Invalid Submission", code, globalErrors: [{code, message}], fieldErrors:
 * {field: [{code, message}]}}}` (openmrs/openmrs-module-webservices.rest RestUtil.wrapErrorResponse,
 * ValidationException handling in BaseRestController); filter refusals (Session timed out, IP not
 * allowed) are the servlet container's plain error page.
 */
export const OPENMRS = 'openmrs';

export class OpenMrsError extends UpstreamCallError {
  constructor(opts: UpstreamErrorOptions) {
    super(opts);
    this.name = 'OpenMrsError';
  }
}

export const makeOpenMrsError = (opts: UpstreamErrorOptions) => new OpenMrsError(opts);

type Json = Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function fieldErrors(e: Json): string | undefined {
  const fields = asRecord(e.fieldErrors);
  const parts: string[] = [];
  for (const [field, list] of Object.entries(fields ?? {})) {
    for (const item of Array.isArray(list) ? list : [])
      parts.push(`${field}: ${text(asRecord(item)?.message) ?? text(asRecord(item)?.code) ?? 'invalid'}`);
  }
  for (const item of Array.isArray(e.globalErrors) ? e.globalErrors : [])
    parts.push(text(asRecord(item)?.message) ?? text(asRecord(item)?.code) ?? 'invalid');
  return parts.length ? parts.join('; ') : undefined;
}

/** The reason an OpenMRS error body gives. */
export const openmrsReason: ReasonDecoder = (body, status) => {
  const e = asRecord(asRecord(body)?.error);
  if (!e) {
    // the container's HTML page: keep the status line's words when they are short ("Session timed out")
    const html =
      typeof body === 'string' ? /<title>[^<]*?-\s*([^<]+)<\/title>|<b>Message<\/b>\s*([^<]+)</i.exec(body) : null;
    return html ? { message: (html[1] ?? html[2]).trim() } : status === 401 ? {} : textReason(body);
  }
  const message = [text(e.message), fieldErrors(e)].filter(Boolean).join(': ');
  return { code: text(e.code), message: message || undefined };
};

const HINTS: Partial<Record<number, string>> = {
  401: ' (not logged in after a fresh session: check openmrs.username and openmrs.password)',
  403: " (the integration user lacks a privilege for this call, or the mediator's address is not in webservices.rest.allowedips)",
};

/**
 * What a 500 says when the database refused the data itself: a Hibernate DataException (SQLState
 * class 22: a text longer than its column, a number out of range, a value not valid for its type),
 * the REST module passing it on as a 500 (BaseRestController handleException) with the JDBC cause
 * in `detail`. Undefined for any other 500: a deadlock, a lost connection, a bug, which a retry may
 * get past. Only the driver's sentence is kept (never the statement or its values).
 */
export function dataRefusal(status: number, body: unknown): string | undefined {
  if (status !== 500) return undefined;
  const e = asRecord(asRecord(body)?.error);
  const said = `${text(e?.message) ?? ''}\n${text(e?.detail) ?? ''}`;
  if (!/org\.hibernate\.exception\.DataException|MysqlDataTruncation|Data truncation|SQLState: 22/.test(said))
    return undefined;
  const sentence = /(?:Data too long|Out of range value) for column '[^']*'|value too long for type [a-z ()0-9]+/i.exec(
    said,
  )?.[0];
  const incorrect = /Incorrect ([a-z]+) value.{0,120}?for column '([^']*)'/i.exec(said);
  if (!sentence && incorrect) return `Incorrect ${incorrect[1]} value for column '${incorrect[2]}'`;
  return sentence ?? "a value OpenMRS's database cannot store";
}

/** The reason code of a duplicate key's error, which a create settles (duplicate-write.ts). */
export const DUPLICATE_KEY = 'duplicate-key';

/**
 * A constraint the database holds refused the write, and its transaction rolled back. Not null,
 * foreign key, check: the same request fails the same way every time, refused for good (422).
 * A duplicate key: another record already holds the key, 409, and a create looks for its own
 * earlier write under the identifier it wrote before it gives up (duplicate-write.ts). Only a
 * batch key two writes made at the same moment passes on a retry (RACED_KEYS): transient.
 */
function constraintError(refused: ConstraintRefusal, status: number, method: string, path: string): OpenMrsError {
  const what = `${method} ${path} answered 500: OpenMRS's database refused the write (${refused.sentence}); nothing was kept`;
  if (refused.kind !== 'duplicate-key')
    return makeOpenMrsError({
      system: OPENMRS,
      transient: false,
      upstreamStatus: status,
      status: 422,
      code: 'business-rule',
      diagnostics: `${what}, and sending it again fails the same way: correct the data`,
      reason: { code: refused.kind, message: refused.sentence },
    });
  if (refused.key && RACED_KEYS.test(refused.key))
    return makeOpenMrsError({
      system: OPENMRS,
      transient: true,
      upstreamStatus: status,
      status: 502,
      code: 'transient',
      diagnostics: `${what}: another write made the same batch at the same moment, which the module finds on the retry`,
      reason: { code: DUPLICATE_KEY, message: refused.sentence },
    });
  return makeOpenMrsError({
    system: OPENMRS,
    transient: false,
    upstreamStatus: status,
    status: 409,
    code: 'conflict',
    diagnostics: `${what}: OpenMRS already holds a record under that key`,
    reason: { code: DUPLICATE_KEY, message: refused.sentence },
  });
}

export function decodeOpenMrsError(status: number, body: unknown, method: string, path: string): OpenMrsError {
  const constraint = constraintRefusal(status, body);
  if (constraint) return constraintError(constraint, status, method, path);
  const refused = dataRefusal(status, body);
  if (refused)
    // the same request fails the same way every time, and nothing of it was kept (the transaction
    // rolled back): refused for good, not retried until it is given up
    return makeOpenMrsError({
      system: OPENMRS,
      transient: false,
      upstreamStatus: status,
      status: 422,
      code: 'business-rule',
      diagnostics: `${method} ${path} answered 500: OpenMRS's database refused the data (${refused}); nothing was kept, and sending it again fails the same way: correct the value`,
      reason: { message: refused },
    });
  return decodeHttpError(status, body, {
    system: OPENMRS,
    method,
    path,
    reasonOf: openmrsReason,
    hints: HINTS,
    make: makeOpenMrsError,
  }) as OpenMrsError;
}

/** What a 2xx answer that is not the JSON OpenMRS sends is, in words (never its text). */
function junkOf(body: unknown): string {
  if (body === undefined) return 'an empty body';
  if (typeof body !== 'string') return 'JSON without the expected field';
  // no headers: a bare JSON string is no answer of OpenMRS's either
  return nonJsonAnswer(body) ?? 'text, not JSON';
}

/**
 * A 2xx answer that is not JSON. Every REST resource answers JSON (BaseRestController, `produces`
 * application/json), so such an answer is not OpenMRS's: a proxy's login page, a body cut short.
 * A read is transient (the client retries it). For a write, whether OpenMRS applied it is
 * unknown, as after a dropped connection: transient too, and each write's retry looks first
 * (externalReference, the location's code, the operation's status) before writing again.
 * Returns undefined for an answer that is JSON (or a write's empty 204: a DELETE's). A GET answered
 * 204 is none of OpenMRS's (a found object is 200 with it, a missing one 404): read as "absent", an
 * outage refused a write for an unknown facility and cached a stock item as missing; read again.
 */
export function junkAnswer(status: number, body: unknown, method: string, path: string): OpenMrsError | undefined {
  if (status < 200 || status >= 300 || (status === 204 && method !== 'GET')) return undefined;
  if (body !== null && typeof body === 'object') return undefined;
  if (method === 'DELETE' && body === undefined) return undefined;
  const what = `${method} ${path} answered ${status} with ${junkOf(body)}`;
  if (method === 'GET')
    return makeOpenMrsError({
      system: OPENMRS,
      transient: true,
      status: 502,
      code: 'transient',
      upstreamStatus: status,
      diagnostics: `${what}: not OpenMRS's answer (a proxy's page?), read again`,
    });
  return unknownWriteOutcome({
    system: OPENMRS,
    make: makeOpenMrsError,
    upstreamStatus: status,
    diagnostics: `${what}: whether OpenMRS applied it is looked up on the retry`,
  });
}

/**
 * A field of a write's (or read-back's) 2xx answer: the uuid a create made, the status an action
 * reached. An answer without it leaves unknown whether OpenMRS applied the write, as a dropped
 * connection does: transient, so the step is not journaled and the retry looks first
 * (externalReference, the location's code, the operation's status) instead of carrying
 * "undefined" on as a uuid. `answer` is the whole response, so the error keeps its HTTP status.
 */
export function answered(answer: { status: number; body: unknown }, field: 'uuid' | 'status', call: string): string {
  const value = asRecord(answer.body)?.[field];
  if (typeof value === 'string' && value) return value;
  throw unknownWriteOutcome({
    system: OPENMRS,
    make: makeOpenMrsError,
    upstreamStatus: answer.status,
    diagnostics: `${call} answered ${answer.status} without the ${field} (${junkOf(answer.body)}): whether OpenMRS applied it is looked up on the retry`,
  });
}
