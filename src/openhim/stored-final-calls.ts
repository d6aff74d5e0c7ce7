/**
 * The calls of the attempt that ended a job owing its OpenHIM transaction an update, as the job's
 * end stores them (migration v46, src/store/openhim-final-calls.ts): the orchestrations the update
 * carries, built now as the envelope builds them (secrets masked, redacted, each body cut to
 * openhim.orchestrationBodyLimitBytes), so what is stored holds no secret and an update sent
 * after a restart, or by another instance, shows them as this process would have.
 */
import type { UpstreamCall } from '../platform/call-recording.js';
import type { Redactor } from '../platform/redaction.js';
import { buildOpenHimEnvelope, TRUNCATION_MARK, type Orchestration } from './envelope.js';

/**
 * At most this much JSON per job: it is written with the job's end on the hot path of a 202'd
 * write, and kept while the job is. Past it bodies go first (the method, path, status and times
 * stay), then the last calls.
 */
export const STORED_FINAL_CALLS_LIMIT_BYTES = 64 * 1024;

/** openhim.orchestrationBodyLimitBytes, or undefined (the envelope's default) when not a size. */
export function orchestrationBodyLimit(s: Record<string, unknown>): number | undefined {
  const limit = Number(s['openhim.orchestrationBodyLimitBytes']);
  return Number.isFinite(limit) && limit >= 0 ? limit : undefined;
}

export interface StoredCallsOptions {
  urn: string;
  bodyLimitBytes?: number;
  secretValues: readonly string[];
  redactor?: Redactor;
  limitBytes?: number;
}

/** The JSON text of `calls` as orchestrations, within the limit; undefined when there are none. */
export function storedFinalCalls(calls: readonly UpstreamCall[], opts: StoredCallsOptions): string | undefined {
  if (calls.length === 0) return undefined;
  const { orchestrations } = buildOpenHimEnvelope({
    urn: opts.urn,
    response: { status: 200 },
    orchestrations: [...calls],
    bodyLimitBytes: opts.bodyLimitBytes,
    secretValues: opts.secretValues,
    redactor: opts.redactor,
  });
  return withinLimit(orchestrations, opts.limitBytes ?? STORED_FINAL_CALLS_LIMIT_BYTES);
}

/**
 * The whole list when it fits, else the longest run of first calls without bodies that does: one
 * pass with a running byte total (each call's JSON, a comma between, the brackets), so a list of
 * many calls is not serialized again per call dropped.
 */
function withinLimit(orchestrations: Orchestration[], limit: number): string | undefined {
  const text = JSON.stringify(orchestrations);
  if (Buffer.byteLength(text) <= limit) return text;
  const kept: string[] = [];
  let bytes = 2; // []
  for (const o of orchestrations) {
    const json = JSON.stringify(withoutBodies(o));
    const more = Buffer.byteLength(json) + (kept.length ? 1 : 0);
    if (bytes + more > limit) break;
    kept.push(json);
    bytes += more;
  }
  return kept.length ? `[${kept.join(',')}]` : undefined;
}

/** The call without its bodies: each says it was cut, as a body over the limit does. */
function withoutBodies(o: Orchestration): Orchestration {
  const cut = (body: string) => (body ? TRUNCATION_MARK : body);
  const bare: Orchestration = { ...o, request: { ...o.request, body: cut(o.request.body) } };
  if (o.response) bare.response = { ...o.response, body: cut(o.response.body) };
  return bare;
}
