import { request, type Dispatcher } from 'undici';
import { recordUpstreamCall } from '../../platform/call-recording.js';
import { LMIS, transportError } from './errors.js';
import type { LmisRequest } from './api.js';

/**
 * One HTTP exchange with OpenLMIS, recorded as an OpenHIM orchestration. No auth, retry or error
 * decoding here (client.ts and auth.ts do that); only transport, timeouts and the record, so the
 * login call and ordinary calls are timed and recorded the same way.
 */
export interface RawRequest {
  method: string;
  baseUrl: string;
  path: string;
  query?: LmisRequest['query'];
  headers: Record<string, string>;
  /** Already serialised. */
  body?: string;
  /** What to show in the orchestration instead of the body (login forms carry the password). */
  recordedBody?: unknown;
  /** How to show the answer in the orchestration (the token response carries the token). */
  recordResponse?: (body: unknown) => unknown;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function buildUrl(baseUrl: string, path: string, query?: LmisRequest['query']): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
  return url.toString();
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (!text) return undefined;
  if (contentType?.includes('json') || /^[[{"]/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Bearer tokens and Basic credentials never reach an orchestration record. */
function recordedHeaders(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  if (out.authorization) out.authorization = out.authorization.replace(/^(\w+)\s.*$/, '$1 ****');
  return out;
}

function recordedAnswer(req: RawRequest, status: number, body: unknown): unknown {
  // 401 bodies echo the refused token (Spring's invalid_token): never record them
  if (status === 401) return '(withheld: 401 bodies echo the token)';
  return req.recordResponse ? req.recordResponse(body) : body;
}

export async function exchange(dispatcher: Dispatcher, req: RawRequest): Promise<RawResponse> {
  const url = buildUrl(req.baseUrl, req.path, req.query);
  const startedAt = new Date();
  // one deadline for the whole exchange (connect + headers + body), combined with the caller's signal
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline;
  const record = { system: LMIS, name: `${LMIS} ${req.method} ${req.path}`, method: req.method, url, requestHeaders: recordedHeaders(req.headers), requestBody: req.recordedBody ?? req.body, startedAt };
  try {
    const res = await request(url, {
      dispatcher, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body, signal,
      headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs,
    });
    const text = await res.body.text();
    const contentType = res.headers['content-type'];
    const body = parseBody(text, Array.isArray(contentType) ? contentType[0] : contentType);
    recordUpstreamCall({ ...record, endedAt: new Date(), response: { status: res.statusCode, headers: res.headers, body: recordedAnswer(req, res.statusCode, body) } });
    return { status: res.statusCode, headers: res.headers, body };
  } catch (err) {
    if (req.signal?.aborted) throw err; // the caller gave up: not an upstream failure
    const decoded = transportError(deadline.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : err, req.method, req.path, req.timeoutMs);
    recordUpstreamCall({ ...record, endedAt: new Date(), error: { message: decoded.issues[0].diagnostics, code: (err as { code?: string }).code } });
    throw decoded;
  }
}
