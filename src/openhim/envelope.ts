/**
 * The `application/json+openhim` response body (openhim-core-js router.js, model/transactions.js).
 * Core copies `response` to the client, stores the rest on the transaction, and queues the
 * transaction for auto-retry when `error` is present.
 */
import { processRedactor, type Redactor } from '../platform/redaction.js';
import { MASK, maskBodyText, maskHeader, maskHeaders, maskUrlEncoded, scrubSecretValues } from './masking.js';
import type { HeaderValues, UpstreamCall } from '../platform/call-recording.js';
import { isoInstant } from './iso-instant.js';

export const OPENHIM_CONTENT_TYPE = 'application/json+openhim';
/** core's `api.truncateAppend` default, so truncated bodies look the same as core's own. */
export const TRUNCATION_MARK = '\n[truncated ...]';
export const DEFAULT_ORCHESTRATION_BODY_LIMIT = 64 * 1024;
/** Total for all orchestration bodies; core keeps at most 15 MiB of bodies per transaction. */
export const DEFAULT_ORCHESTRATION_TOTAL_LIMIT = 4 * 1024 * 1024;

export type MediatorStatus = 'Processing' | 'Failed' | 'Completed' | 'Successful' | 'Completed with error(s)';

export interface OrchestrationRequest {
  host: string;
  port: string;
  path: string;
  headers: Record<string, string>;
  querystring: string;
  body: string;
  method: string;
  timestamp: string;
}

export interface OrchestrationResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  timestamp: string;
}

export interface Orchestration {
  name: string;
  group?: string;
  request: OrchestrationRequest;
  response?: OrchestrationResponse;
  error?: { message: string };
}

export interface OpenHimEnvelope {
  'x-mediator-urn': string;
  status: MediatorStatus;
  response: { status: number; headers: Record<string, string>; body: string; timestamp: string };
  orchestrations: Orchestration[];
  properties?: Record<string, string | number | boolean>;
  error?: { message: string };
}

export interface EnvelopeInput {
  urn: string;
  response: { status: number; headers?: HeaderValues; body?: unknown; timestamp?: Date | number };
  orchestrations?: UpstreamCall[];
  properties?: Record<string, string | number | boolean> | null;
  /**
   * Properties the mediator makes itself (the marks of a transaction awaiting our update:
   * transaction-id.ts), after `properties`. Never secret, and read back as written: set past
   * redaction (BodyFields.mark), so a configured secret matching part of one (a "2024" inside a
   * request key) cannot alter it.
   */
  marks?: Record<string, string>;
  /** Set only for transient failures (OpenHIM will auto-retry the transaction). */
  transientError?: { message: string } | null;
  /** Overrides the status derived from the HTTP status. */
  status?: MediatorStatus;
  bodyLimitBytes?: number;
  totalBodyLimitBytes?: number;
  /** Secret values (configured passwords, tokens) scrubbed wherever they appear. */
  secretValues?: readonly string[];
  /** Masks every configured secret in every form; default the process's redactor. */
  redactor?: Redactor;
}

/**
 * Status rules (reference/openhim.md §1.4): 202 = accepted, the outbox keeps delivering →
 * Processing; 2xx → Successful; 5xx → Failed; anything else (4xx: the client's request was
 * answered, it was wrong) → Completed.
 */
export function mediatorStatusFor(httpStatus: number): MediatorStatus {
  if (httpStatus === 202) return 'Processing';
  if (httpStatus >= 200 && httpStatus < 300) return 'Successful';
  if (httpStatus >= 500) return 'Failed';
  return 'Completed';
}

/** Statuses whose errors OpenHIM should retry: the upstream may answer next time. */
export function isTransientStatus(httpStatus: number): boolean {
  return httpStatus === 502 || httpStatus === 503 || httpStatus === 504;
}

function toIso(value: Date | number | undefined, now: number): string {
  return isoInstant(value === undefined ? now : typeof value === 'number' ? value : value.getTime());
}

export function bodyToText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return JSON.stringify(body) ?? '';
}

function headerValue(headers: HeaderValues | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined)
      return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return undefined;
}

/** Cuts to at most `limit` bytes (marker included) without splitting a UTF-8 character. */
export function truncateUtf8(text: string, limit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  const markBytes = Buffer.byteLength(TRUNCATION_MARK);
  if (limit <= markBytes) return TRUNCATION_MARK;
  let end = limit - markBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back off a continuation byte
  return bytes.subarray(0, end).toString('utf8') + TRUNCATION_MARK;
}

export class BodyBudget {
  private remaining: number;
  constructor(
    private readonly perBody: number,
    total: number,
  ) {
    this.remaining = total;
  }
  take(text: string): string {
    const cut = truncateUtf8(text, Math.max(0, Math.min(this.perBody, this.remaining)));
    this.remaining -= Buffer.byteLength(cut);
    return text === '' ? '' : cut;
  }

  /** take() for a text whose UTF-8 length is known: no copy into bytes when it fits. */
  takeKnown(text: string, bytes: number): string {
    if (bytes <= Math.max(0, Math.min(this.perBody, this.remaining))) {
      this.remaining -= bytes;
      return text;
    }
    return this.take(text);
  }
}

/**
 * What the envelope's body fields hold. The plain form puts the texts in (and the whole envelope
 * is redacted afterwards); envelope-text.ts puts in marks for pieces it made and redacted apart.
 */
export interface BodyFields {
  /** The client's body: never truncated (core forwards it to the client). */
  response(text: string): string;
  /** An upstream call's body: masked, redacted, then cut to the budget. */
  orchestration(text: string, contentType: string | undefined, secrets: readonly string[], budget: BodyBudget): string;
  /**
   * A mark's value (EnvelopeInput.marks), left out of redaction where the text is assembled from
   * pieces (envelope-text.ts); without (one whole pass: a secret holding a `"`), redacted with the rest.
   */
  mark?(value: string): string;
}

export function plainBodyFields(redactor: Redactor): BodyFields {
  return {
    response: (text) => text,
    // redact before truncating: a cut could leave half a secret the redactor no longer recognises
    orchestration: (text, contentType, secrets, budget) =>
      budget.take(redactor.redact(maskBodyText(text, contentType, secrets))),
  };
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/**
 * The credential this call sent (token after the scheme, and a Basic pair's password), so an
 * upstream that echoes it back in its answer is masked even when no setting holds it (an OAuth
 * access token). Recorders that already masked the header give nothing here.
 */
export function callCredentials(call: UpstreamCall): string[] {
  const header = headerValue(call.requestHeaders, 'authorization');
  const match = header ? /^\s*([A-Za-z][\w-]*)\s+(\S+)\s*$/.exec(header) : null;
  if (!match || match[2].includes('*')) return [];
  const out = [match[2]];
  if (/^basic$/i.test(match[1])) {
    const decoded = Buffer.from(match[2], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) out.push(decoded.slice(colon + 1));
  }
  return out.filter((v) => v.length >= 4);
}

function toOrchestration(
  call: UpstreamCall,
  budget: BodyBudget,
  configured: readonly string[],
  bodies: BodyFields,
  now: number,
): Orchestration {
  const secrets = [...configured, ...callCredentials(call)];
  const bodyText = (body: unknown, headers: HeaderValues | undefined) =>
    bodies.orchestration(bodyToText(body), headerValue(headers, 'content-type'), secrets, budget);
  const url = new URL(call.url);
  const path = scrubSecretValues(url.pathname, secrets);
  const started = toIso(call.startedAt, now);
  const orchestration: Orchestration = {
    name: call.name ?? `${call.system ? `${call.system} ` : ''}${call.method.toUpperCase()} ${path}`,
    request: {
      host: url.hostname,
      port: url.port || defaultPort(url.protocol),
      path,
      headers: maskHeaders(call.requestHeaders, secrets),
      querystring: scrubSecretValues(maskUrlEncoded(url.search.replace(/^\?/, '')), secrets),
      body: bodyText(call.requestBody, call.requestHeaders),
      method: call.method.toUpperCase(),
      timestamp: started,
    },
  };
  if (call.system) orchestration.group = call.system;
  if (call.response) {
    orchestration.response = {
      status: call.response.status,
      headers: maskHeaders(call.response.headers, secrets),
      body: bodyText(call.response.body, call.response.headers),
      timestamp: toIso(call.endedAt, now),
    };
  }
  if (call.error) orchestration.error = { message: scrubSecretValues(call.error.message, secrets) };
  return orchestration;
}

// Core sets these itself from the body it forwards (router.js setKoaResponse skips them).
const HOP_HEADERS = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * Challenges for the mediator's own credentials: core copies every response header to its client
 * (router.js setKoaResponse), so a 401 of ours would ask OpenHIM's client, who authenticated to
 * OpenHIM and never holds the route's credentials, to log in to the mediator. What our 401 means
 * there is that the channel's route sends the wrong credentials: the status and OperationOutcome
 * say that, for OpenHIM's console; a browser would prompt for a password nobody should type.
 */
const CHALLENGE_HEADERS = new Set(['www-authenticate']);

/**
 * The client response's headers: hop-by-hop ones, Set-Cookie and auth challenges left out, credentials masked
 * (it keeps e.g. ETag and Location but never echoes a credential), and always a Content-Type
 * under that exact name, last: core maps it to the client's response type. One pass, as every
 * OpenHIM answer has them.
 */
function responseHeaders(headers: HeaderValues | undefined, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let type: string | undefined;
  for (const name of Object.keys(headers ?? {})) {
    const raw = headers![name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : String(raw);
    const lower = name.toLowerCase();
    if (lower === 'content-type') type ??= value;
    else if (!HOP_HEADERS.has(lower) && !CHALLENGE_HEADERS.has(lower) && lower !== 'set-cookie')
      out[name] = maskHeader(name, value, secrets);
  }
  out['Content-Type'] = type ?? 'text/plain; charset=utf-8';
  return out;
}

export function buildOpenHimEnvelope(input: EnvelopeInput): OpenHimEnvelope {
  const redactor = input.redactor ?? processRedactor;
  // every string of the envelope (the client's body, names, paths, headers, errors) once more
  return redactor.redactValue(unredactedEnvelope(input, plainBodyFields(redactor)));
}

/**
 * The envelope as the JSON text sent to OpenHIM, redacted as text in one pass: the same secrets
 * are masked as buildOpenHimEnvelope's walk over every string (the redactor knows each secret's
 * JSON-escaped forms, once and twice, so a secret inside the client's body, itself a JSON string
 * here, is found too), without a regular-expression run per string and a copy of every object.
 */
export function wholeEnvelopeText(input: EnvelopeInput): string {
  const redactor = input.redactor ?? processRedactor;
  return redactor.redact(JSON.stringify(unredactedEnvelope(input, plainBodyFields(redactor))));
}

export function unredactedEnvelope(input: EnvelopeInput, bodies: BodyFields): OpenHimEnvelope {
  const now = Date.now();
  const secrets = input.secretValues ?? [];
  const budget = new BodyBudget(
    input.bodyLimitBytes ?? DEFAULT_ORCHESTRATION_BODY_LIMIT,
    input.totalBodyLimitBytes ?? DEFAULT_ORCHESTRATION_TOTAL_LIMIT,
  );
  const envelope: OpenHimEnvelope = {
    'x-mediator-urn': input.urn,
    status: input.status ?? mediatorStatusFor(input.response.status),
    response: {
      status: input.response.status,
      headers: responseHeaders(input.response.headers, secrets),
      // The client's own response is never truncated: core forwards this body to the client.
      body: bodies.response(bodyToText(input.response.body)),
      timestamp: toIso(input.response.timestamp, now),
    },
    orchestrations: (input.orchestrations ?? []).map((call) => toOrchestration(call, budget, secrets, bodies, now)),
  };
  const marks = Object.entries(input.marks ?? {}).map(([k, v]) => [k, bodies.mark?.(v) ?? v]);
  const properties = { ...input.properties, ...Object.fromEntries(marks) };
  if (Object.keys(properties).length > 0) envelope.properties = properties;
  if (input.transientError) envelope.error = { message: scrubSecretValues(input.transientError.message, secrets) };
  return envelope;
}

export { MASK };
