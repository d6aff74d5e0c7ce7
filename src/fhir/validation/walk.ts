import type { Issue } from '../../domain/errors.js';
import {
  checkExtensions,
  checkPeriod,
  checkPosition,
  checkReference,
  DATE_KEY,
  dateIssue,
  isLocalReference,
  type SemanticOptions,
} from './semantics.js';

/** What one walk over a resource found, each list in document order. */
export interface WalkIssues {
  /** null, empty strings, arrays and objects (rules.ts). */
  empty: Issue[];
  /** dateTimes with a time but no zone (rules.ts). */
  zoneless: Issue[];
  /** The semantic rules (semantics.ts), at most `max` (default opts.maxIssues). */
  semantic: Issue[];
}

const dateTimeWithoutZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** Could be a dateTime without a zone: 'T' at index 10 and 16 to 30-odd characters (the regex decides). */
function mayBeZoneless(value: string): boolean {
  return value.length >= 16 && value.charCodeAt(10) === 0x54 /* T */ && dateTimeWithoutZone.test(value);
}

/**
 * Could be blank: empty, or starting with a character `trim` may take off (ASCII controls and
 * space, or anything past ASCII, where Unicode's spaces are). Most strings start with a letter or
 * digit and are settled here, without `trim` making a copy to compare.
 */
function mayBeBlank(value: string): boolean {
  if (value === '') return true;
  const c = value.charCodeAt(0);
  return c <= 0x20 || c >= 0x7f;
}

/**
 * Could be a FHIR date, dateTime or instant: four digits then '-' (looksLikeDate, dates.ts, decides).
 * Every other string skips the element-name pattern (DATE_KEY), a regular expression run per
 * string value, most of the walk's cost on a valid body (issue 18). For any other value of a
 * date-named element dateIssue finds nothing (looksLikeDate is false), so no issue is lost.
 */
function mayBeDate(value: string): boolean {
  return value.length >= 7 && value.charCodeAt(4) === 0x2d /* - */ && isDigit(value.charCodeAt(0));
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * One walk over a resource for the rules' value checks and the semantic checks, which each
 * walked it on their own before. The FHIRPath of an element is kept as a list of steps and
 * written out only for an issue: on a valid body (nearly every one) no path string is built.
 */
export function walkResource(
  resource: Record<string, unknown>,
  type: string,
  opts: SemanticOptions = {},
  max = opts.maxIssues ?? Infinity,
): WalkIssues {
  const found: WalkIssues = { empty: [], zoneless: [], semantic: [] };
  const steps: (string | number)[] = [];
  const here = (): string => {
    let path = type;
    for (const s of steps) path += typeof s === 'number' ? `[${s}]` : `.${s}`;
    return path;
  };
  const semantic = found.semantic;
  /** An empty or null element at the current path (the path is built only for an issue). */
  const empty = (code: 'value' | 'structure', what: string) => {
    const path = here();
    found.empty.push({ code, diagnostics: `${path} ${what}`, expression: [path] });
  };

  /** `key` is the element name the value sits under (an array's items share it). */
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      if (mayBeZoneless(value)) {
        const path = here();
        found.zoneless.push({
          code: 'value',
          diagnostics: `${path} has a time but no timezone ('${value}'); add Z or an offset such as +03:00`,
          expression: [path],
        });
      }
      if (mayBeBlank(value) && value.trim() === '')
        empty('value', 'is an empty string; FHIR does not allow empty values');
      if (semantic.length >= max) return;
      // the value's shape first: the element name's pattern is tested only for a date-like value
      if (mayBeDate(value) && DATE_KEY.test(key)) {
        const issue = dateIssue(value, here);
        if (issue) semantic.push(issue);
      } else if (key === 'reference' && !isLocalReference(value)) checkReference(value, here(), opts, semantic);
      return;
    }
    if (value === null) {
      empty('structure', 'is null; FHIR JSON omits absent elements instead');
      return;
    }
    // 1e400 parses as Infinity, which JSON writes back as null: the value would be lost upstream
    // (a Quantity's `value` is the codecs' to refuse: a count that is not a whole number, 422)
    if (typeof value === 'number' && !Number.isFinite(value) && key !== 'value' && semantic.length < max) {
      const path = here();
      // a latitude or longitude has had its range check already (checkPosition)
      if (!semantic.some((i) => i.expression?.[0] === path))
        semantic.push({
          code: 'value',
          diagnostics: `${path} is beyond the range of a number (±1.8e308): it cannot be kept or sent on`,
          expression: [path],
        });
      return;
    }
    if (typeof value !== 'object') return;
    if (Array.isArray(value)) {
      if (value.length === 0) empty('structure', 'is an empty array; omit the element instead');
      for (let i = 0; i < value.length; i++) {
        steps.push(i);
        visit(value[i], key);
        steps.pop();
      }
      return;
    }
    const el = value as Record<string, unknown>;
    const keys = Object.keys(el);
    if (keys.length === 0) empty('structure', 'is an empty object; omit the element instead');
    if (semantic.length < max) {
      if (typeof el.start === 'string' && typeof el.end === 'string') checkPeriod(el, here(), semantic);
      if (key === 'position') checkPosition(el, here(), semantic);
      if (el.extension !== undefined) checkExtensions(el.extension, `${here()}.extension`, false, semantic);
      if (el.modifierExtension !== undefined)
        checkExtensions(el.modifierExtension, `${here()}.modifierExtension`, true, semantic);
    }
    for (const k of keys) {
      steps.push(k);
      visit(el[k], k);
      steps.pop();
    }
  };
  visit(resource, '');
  if (semantic.length > max) semantic.length = max;
  return found;
}
