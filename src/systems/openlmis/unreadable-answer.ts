import { nonJsonAnswer } from '../../upstream/answer-shape.js';
import { unknownWriteOutcome } from '../../upstream/errors.js';
import type { UpstreamError } from '../../domain/errors.js';
import { LMIS, makeLmisError } from './errors.js';

/**
 * A 2xx answer OpenLMIS's JSON API cannot have given: a proxy's or SSO login page in place of the
 * JSON, a body cut short, nothing where a DTO was due. Taken as it came, it became a requisition
 * "undefined", a submit with no status (the job ended done, the requisition still INITIATED) or a
 * stock event whose id was the page. To a write it leaves unknown whether OpenLMIS applied it, as
 * a dropped connection does: transient, and every step looks before it writes again. To a read
 * too it is transient: a proxy's page says nothing about the write the read serves, and a write
 * refused for it would be dropped on a blip (one that stays ends as a dead letter an operator
 * sees). The page itself is never quoted (it may carry a session or a form's hidden fields).
 */
export interface AnswerSeen {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** The fields of `carries` an object answer lacks (null or absent). */
function lacking(body: unknown, carries: string[]): string[] {
  const record = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  return carries.filter((f) => record[f] === undefined || record[f] === null);
}

/** A list as OpenLMIS answers one: a JSON array, or a Spring page's `content`. */
function isList(body: unknown): boolean {
  if (Array.isArray(body)) return true;
  return !!body && typeof body === 'object' && Array.isArray((body as Record<string, unknown>).content);
}

/** What is wrong with the answer, or undefined when it reads as JSON (or as nothing, if allowed). */
function defect(res: AnswerSeen, bodyDue: boolean, carries: string[], listed: boolean): string | undefined {
  // a body missing where fields are due is told as that, not as JSON without them
  const shape = shapeDefect(res, bodyDue || carries.length > 0 || listed);
  if (shape) return shape;
  if (listed && !isList(res.body)) return 'JSON without a list';
  const missing = lacking(res.body, carries);
  return missing.length ? `JSON without ${missing.map((f) => `'${f}'`).join(' or ')}` : undefined;
}

function shapeDefect(res: AnswerSeen, bodyDue: boolean): string | undefined {
  const { body } = res;
  if (body === undefined || body === '') return bodyDue ? 'an empty body' : undefined;
  // a JSON string (a stock event's id) parses to a string too, but comes labelled JSON
  return typeof body === 'string' ? nonJsonAnswer(body, res.headers) : undefined;
}

/** The error a 2xx answer that cannot be read stands for, or undefined when it can be. */
export function unreadableAnswer(
  method: string,
  path: string,
  res: AnswerSeen,
  bodyDue: boolean,
  carries: string[] = [],
  listed = false,
): UpstreamError | undefined {
  if (res.status < 200 || res.status >= 300) return undefined;
  const what = defect(res, bodyDue, carries, listed);
  if (!what) return undefined;
  const said = `${method} ${path} answered ${res.status} with ${what}`;
  if (method === 'GET')
    return makeLmisError({
      system: LMIS,
      transient: true,
      status: 502,
      code: 'transient',
      upstreamStatus: res.status,
      diagnostics: `${said}: asked again later`,
    });
  return unknownWriteOutcome({
    system: LMIS,
    make: makeLmisError,
    upstreamStatus: res.status,
    diagnostics: `${said}: whether OpenLMIS applied it is unknown, so the retry looks before writing again`,
  });
}
