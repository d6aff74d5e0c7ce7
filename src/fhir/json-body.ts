import { MediatorError } from '../domain/errors.js';

/**
 * Reading a request body as FHIR JSON, refusing at the edge what JSON.parse lets through but a
 * FHIR server must not take: bytes that are not UTF-8, duplicate keys (RFC 8259 §4 leaves their
 * meaning open, so two readers could see two different resources), lone UTF-16 surrogates and NUL
 * (neither can be stored in PostgreSQL text or jsonb), keys that would reach Object.prototype,
 * bodies nested too deep or with oversized arrays. Every refusal names the element as a FHIRPath.
 */
export interface JsonLimits {
  /** Deepest nesting of objects/arrays accepted. */
  maxDepth: number;
  /** Largest array accepted anywhere in a body (e.g. Bundle.entry). */
  maxArrayLength: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bodyError(status: number, code: 'structure' | 'too-costly' | 'value' | 'duplicate', diagnostics: string, expression: string): MediatorError {
  return new MediatorError(status, { code, diagnostics, expression: [expression] });
}

/** Bytes → text; invalid UTF-8 is a 400 naming the byte offset (a replacement character would silently change the data). */
export function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    const at = firstInvalidUtf8(body);
    throw bodyError(400, 'structure', `The request body is not valid UTF-8 (first bad byte at offset ${at}); FHIR JSON is UTF-8`, '$this');
  }
}

function firstInvalidUtf8(body: Buffer): number {
  let lo = 0;
  let hi = body.length;
  // the longest valid prefix, by bisection (decode is linear, so this stays O(n log n) on the error path only)
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try { new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, mid), { stream: true }); lo = mid; } catch { hi = mid - 1; }
  }
  return lo;
}

/**
 * Most keys one object may have. No FHIR element has this many children (a resource has at most a
 * few dozen elements; choice types add at most ~50 names), so a body past it is refused before
 * validation, which would otherwise report, and pay for, every unknown key.
 */
export const MAX_OBJECT_KEYS = 256;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Keys that would reach Object.prototype if a later step copied the body with plain assignment. */
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function badString(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000), which FHIR strings cannot carry';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (an escape such as \\ud800 without its pair), which is not a Unicode character';
  return undefined;
}

/** The FHIRPath root of a parsed body: its resourceType, or `$this`. */
function rootName(value: unknown): string {
  const type = value && typeof value === 'object' && !Array.isArray(value) ? (value as { resourceType?: unknown }).resourceType : undefined;
  return typeof type === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(type) ? type : '$this';
}

/**
 * One pass over the parsed value: depth, array sizes, string contents and key names. Linear in
 * the size of the body; stops at the first problem.
 */
export function checkJsonShape(value: unknown, limits: JsonLimits, root = rootName(value)): void {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 1, path: root }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      const why = badString(v);
      if (why) throw bodyError(400, 'value', `${path} ${why}`, path);
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (depth > limits.maxDepth) throw bodyError(400, 'too-costly', `The body nests deeper than ${limits.maxDepth} levels (limits.jsonDepth) at ${path}`, path);
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) throw bodyError(413, 'too-costly', `An array of ${v.length} items exceeds the limit of ${limits.maxArrayLength} (limits.arrayLength) at ${path}`, path);
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, path: `${path}[${i}]` });
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > MAX_OBJECT_KEYS) throw bodyError(400, 'too-costly', `${path} has ${keys.length} keys; no FHIR element has more than ${MAX_OBJECT_KEYS}`, path);
    for (const k of keys) {
      const why = badString(k);
      if (why) throw bodyError(400, 'structure', `A key in ${path} ${why}`, path);
      if (POISON_KEYS.has(k)) throw bodyError(400, 'structure', `${path} has a key '${k}', which is not a FHIR element name`, `${path}.${k}`);
      stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, path: `${path}.${k}` });
    }
  }
}

interface Frame {
  /** Keys seen so far (objects), or null (arrays). */
  keys: Set<string> | null;
  path: string;
  /** Objects: the next string is a key. Arrays: the index of the current item. */
  expectKey: boolean;
  index: number;
  key?: string;
}

function childPath(frame: Frame): string {
  return frame.keys ? `${frame.path}.${frame.key}` : `${frame.path}[${frame.index}]`;
}

/**
 * The first key that appears twice in one object, with the FHIRPath of the object. The text must
 * already be valid JSON (JSON.parse accepted it), so the scan only tracks strings and brackets.
 */
export function findDuplicateKey(text: string, root: string): { path: string; key: string } | undefined {
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) return { path: top.path, key };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      const path = parent ? childPath(parent) : root;
      stack.push({ keys: c === 0x7b ? new Set() : null, path, expectKey: c === 0x7b, index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top.keys) top.expectKey = true;
      else top.index += 1;
    }
    i += 1;
  }
  return undefined;
}

/** Parses a FHIR JSON body (already decoded from UTF-8) or throws the 400/413 OperationOutcome. */
export function parseFhirJson(body: string, limits: JsonLimits): unknown {
  if (body.trim() === '') throw bodyError(400, 'structure', 'The request body is empty; a FHIR resource was expected', '$this');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw bodyError(400, 'structure', `The request body is not valid JSON: ${(err as Error).message}`, '$this');
  }
  const root = rootName(parsed);
  checkJsonShape(parsed, limits, root);
  const duplicate = findDuplicateKey(body, root);
  if (duplicate) {
    throw bodyError(400, 'duplicate', `${duplicate.path} has the key '${duplicate.key}' twice; JSON objects in FHIR must not repeat a key`, `${duplicate.path}.${duplicate.key}`);
  }
  return parsed;
}
