import type { Issue } from '../../domain/errors.js';
import { EXT } from '../conventions.js';
import { instantBound, isCalendarDate, looksLikeDate } from './dates.js';
import { walkResource } from './walk.js';

/**
 * Value rules the official schemas cannot state, checked in one walk over the resource:
 * real calendar dates, Period start ≤ end (per-1), latitude/longitude ranges, extensions with a
 * url and either a value or sub-extensions (ext-1), modifier extensions (refused: we understand
 * none, and FHIR R5 extensibility.html#modifierExtension says a system SHALL refuse a resource
 * carrying a modifier extension it does not understand), and references that either stay on
 * this server or are plain relative references.
 */
export interface SemanticOptions {
  /** This server's FHIR base (no trailing slash): absolute references must start with it. */
  baseUrl?: string;
  /** Its other bases (the other FHIR version's): a record is the same on both. */
  otherBaseUrls?: string[];
  /** Resource types this server serves: an absolute reference to one of them elsewhere cannot be resolved. */
  servedTypes?: readonly string[];
  /** Stop after this many issues (a hostile body must not cost more than a bounded answer). */
  maxIssues?: number;
}

/** Element names whose values are FHIR date, dateTime or instant. */
export const DATE_KEY = /(?:Date|DateTime|Instant|On)$|^(?:start|end|lastUpdated|date|issued|recorded|instant)$/;
const ID = '[A-Za-z0-9\\-.]{1,64}';
const RELATIVE = new RegExp(`^[A-Z][A-Za-z]{1,63}/${ID}(?:/_history/${ID})?$`);
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** The issue of a date-shaped value that is not a real calendar date (the path is written only then). */
export function dateIssue(value: string, path: () => string): Issue | undefined {
  if (!looksLikeDate(value) || isCalendarDate(value)) return undefined;
  const at = path();
  return { code: 'value', diagnostics: `${at} '${value}' is not a real calendar date or time`, expression: [at] };
}

export function checkPeriod(el: Record<string, unknown>, path: string, issues: Issue[]): void {
  if (typeof el.start !== 'string' || typeof el.end !== 'string') return;
  const start = instantBound(el.start, 'low');
  const end = instantBound(el.end, 'high');
  if (start !== undefined && end !== undefined && !Number.isNaN(start) && !Number.isNaN(end) && end < start) {
    issues.push({
      code: 'invariant',
      diagnostics: `${path}.end (${el.end}) is before ${path}.start (${el.start}); a Period must not end before it starts (per-1)`,
      expression: [`${path}.end`],
    });
  }
}

export function checkPosition(el: Record<string, unknown>, path: string, issues: Issue[]): void {
  for (const [key, limit] of [
    ['latitude', 90],
    ['longitude', 180],
  ] as const) {
    const v = el[key];
    if (typeof v === 'number' && (!Number.isFinite(v) || Math.abs(v) > limit)) {
      issues.push({
        code: 'value',
        diagnostics: `${path}.${key} ${v} is out of range (−${limit} to ${limit} degrees, WGS84)`,
        expression: [`${path}.${key}`],
      });
    }
  }
}

/**
 * The value[x] each of this server's own extensions is read from (the codecs read only that one):
 * any other type would be dropped without a word (a rejected quantity, a stock reason, a lot
 * lost), so it is refused instead.
 */
const OWN_EXTENSION_VALUES: Record<string, string> = {
  [EXT.supportedProgram]: 'valueCoding',
  [EXT.quantityShipped]: 'valueQuantity',
  [EXT.quantityRejected]: 'valueQuantity',
  [EXT.rejectionReason]: 'valueString',
  [EXT.lotNumber]: 'valueString',
  [EXT.lotExpiry]: 'valueDate',
  [EXT.vvmStatus]: 'valueCode',
  [EXT.stockReason]: 'valueCoding',
  [EXT.averageMonthlyConsumption]: 'valueQuantity',
  [EXT.monthsOfStock]: 'valueDecimal',
};

function checkOwnValueType(e: Record<string, unknown>, at: string, issues: Issue[]): void {
  const wanted = typeof e.url === 'string' ? OWN_EXTENSION_VALUES[e.url] : undefined;
  const given = Object.keys(e).find((k) => k.startsWith('value'));
  if (!wanted || !given || given === wanted) return;
  issues.push({
    code: 'value',
    diagnostics: `${at} (${String(e.url).split('/').pop()}) takes ${wanted}, not ${given}`,
    expression: [`${at}.${given}`],
  });
}

export function checkExtensions(list: unknown, path: string, modifier: boolean, issues: Issue[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((ext, i) => {
    const at = `${path}[${i}]`;
    if (!ext || typeof ext !== 'object' || Array.isArray(ext)) return; // the schema reports the type
    const e = ext as Record<string, unknown>;
    if (typeof e.url !== 'string') {
      issues.push({
        code: 'required',
        diagnostics: `${at}.url is required: an extension is identified by its url`,
        expression: [`${at}.url`],
      });
    } else if (modifier) {
      issues.push({
        code: 'not-supported',
        diagnostics: `${at} is a modifier extension (${e.url}) that this server does not understand, so it cannot process the resource safely`,
        expression: [at],
      });
    }
    const hasValue = Object.keys(e).some((k) => k.startsWith('value'));
    const hasChildren = Array.isArray(e.extension) && e.extension.length > 0;
    if (hasValue === hasChildren) {
      issues.push({
        code: 'invariant',
        diagnostics: `${at} must have either a value[x] or nested extensions, not ${hasValue ? 'both' : 'neither'} (ext-1)`,
        expression: [at],
      });
    }
    checkOwnValueType(e, at, issues);
  });
}

export function checkReference(value: string, path: string, opts: SemanticOptions, issues: Issue[]): void {
  if (isLocalReference(value)) return;
  const bad = (why: string) =>
    issues.push({ code: 'value', diagnostics: `${path} '${value.slice(0, 200)}' ${why}`, expression: [path] });
  if (!/^https?:\/\//.test(value))
    return void bad(
      `is not a FHIR reference: use [type]/[id] (e.g. Location/abc), an absolute URL, #contained or urn:uuid:`,
    );
  if (DOT_SEGMENT.test(value.replace(/^https?:\/\/[^/]*/, '')) || /\s/.test(value))
    return void bad('has dot segments or spaces; references are taken literally, not resolved as paths');
  const base = opts.baseUrl;
  // the longest base first: /fhir/R5/… also starts with /fhir/
  const ours = [base, ...(opts.otherBaseUrls ?? [])]
    .filter((b): b is string => !!b)
    .sort((a, b) => b.length - a.length)
    .find((b) => value.startsWith(`${b}/`));
  if (ours) {
    if (!RELATIVE.test(value.slice(ours.length + 1))) bad(`is on this server but is not [base]/[type]/[id]`);
    return;
  }
  const m = new RegExp(`/([A-Z][A-Za-z]{1,63})/${ID}(?:/_history/${ID})?$`).exec(value);
  if (m && (opts.servedTypes ?? []).includes(m[1])) {
    bad(
      `points to another server; this server resolves ${m[1]} references only as ${m[1]}/[id]${base ? ` or ${base}/${m[1]}/[id]` : ''}`,
    );
  }
}

const URN_REFERENCE = /^urn:(uuid|oid):\S+$/;

/**
 * A reference that needs no more checking: #contained, urn:uuid:/urn:oid:, or [type]/[id]. The
 * urn pattern is asked only of a text starting `urn:`, which each of its matches does: every
 * reference of a create entered the regex engine for it, and nearly all are [type]/[id] (issue 18).
 */
export function isLocalReference(value: string): boolean {
  return value.startsWith('#') || (value.startsWith('urn:') && URN_REFERENCE.test(value)) || RELATIVE.test(value);
}

/** All issues of these rules, in document order, at most opts.maxIssues (walk.ts checks them in its one walk). */
export function checkSemantics(resource: Record<string, unknown>, type: string, opts: SemanticOptions = {}): Issue[] {
  return walkResource(resource, type, opts).semantic;
}
