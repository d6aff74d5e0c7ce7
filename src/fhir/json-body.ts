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

function bodyError(
  status: number,
  code: 'structure' | 'too-costly' | 'value' | 'duplicate',
  diagnostics: string,
  expression: string,
): MediatorError {
  return new MediatorError(status, { code, diagnostics, expression: [expression] });
}

/** Bytes → text; invalid UTF-8 is a 400 naming the byte offset (a replacement character would silently change the data). */
export function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    const at = firstInvalidUtf8(body);
    throw bodyError(
      400,
      'structure',
      `The request body is not valid UTF-8 (first bad byte at offset ${at}); FHIR JSON is UTF-8`,
      '$this',
    );
  }
}

function firstInvalidUtf8(body: Buffer): number {
  let lo = 0;
  let hi = body.length;
  // the longest valid prefix, by bisection (decode is linear, so this stays O(n log n) on the error path only)
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
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
  if (LONE_SURROGATE.test(s))
    return 'contains a lone UTF-16 surrogate (an escape such as \\ud800 without its pair), which is not a Unicode character';
  return undefined;
}

/** The FHIRPath root of a parsed body: its resourceType, or `$this`. */
function rootName(value: unknown): string {
  const type =
    value && typeof value === 'object' && !Array.isArray(value)
      ? (value as { resourceType?: unknown }).resourceType
      : undefined;
  return typeof type === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(type) ? type : '$this';
}

/** `[3]` or `.name`: one step of a FHIRPath. */
function step(at: string | number): string {
  return typeof at === 'number' ? `[${at}]` : `.${at}`;
}

/**
 * One pass over the parsed value: depth, array sizes, string contents and key names. Linear in
 * the size of the body; stops at the first problem, in document order. The path is kept as a
 * list of steps and written out only for a refusal (a string per element cost more than the
 * checks). Returns the number of keys of all objects (parseFhirJson compares it with the text).
 */
export function checkJsonShape(
  value: unknown,
  limits: JsonLimits,
  root = rootName(value),
  stringsMayBeBad = true,
): number {
  const steps: (string | number)[] = [];
  const pathTo = (last?: string) => root + steps.map(step).join('') + (last === undefined ? '' : `.${last}`);
  let keyCount = 0;
  const visit = (v: unknown, depth: number): void => {
    if (typeof v === 'string') {
      const why = stringsMayBeBad ? badString(v) : undefined;
      if (why) throw bodyError(400, 'value', `${pathTo()} ${why}`, pathTo());
      return;
    }
    if (!v || typeof v !== 'object') return;
    if (depth > limits.maxDepth)
      throw bodyError(
        400,
        'too-costly',
        `The body nests deeper than ${limits.maxDepth} levels (limits.jsonDepth) at ${pathTo()}`,
        pathTo(),
      );
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength)
        throw bodyError(
          413,
          'too-costly',
          `An array of ${v.length} items exceeds the limit of ${limits.maxArrayLength} (limits.arrayLength) at ${pathTo()}`,
          pathTo(),
        );
      for (let i = 0; i < v.length; i++) {
        steps.push(i);
        visit(v[i], depth + 1);
        steps.pop();
      }
      return;
    }
    const keys = Object.keys(v);
    keyCount += keys.length;
    if (keys.length > MAX_OBJECT_KEYS)
      throw bodyError(
        400,
        'too-costly',
        `${pathTo()} has ${keys.length} keys; no FHIR element has more than ${MAX_OBJECT_KEYS}`,
        pathTo(),
      );
    // every key of an object is checked before any of its values, as a refusal names the first
    for (const k of keys) {
      const why = stringsMayBeBad ? badString(k) : undefined;
      if (why) throw bodyError(400, 'structure', `A key in ${pathTo()} ${why}`, pathTo());
      if (POISON_KEYS.has(k))
        throw bodyError(400, 'structure', `${pathTo()} has a key '${k}', which is not a FHIR element name`, pathTo(k));
    }
    for (const k of keys) {
      steps.push(k);
      visit((v as Record<string, unknown>)[k], depth + 1);
      steps.pop();
    }
  };
  visit(value, 1);
  return keyCount;
}

/**
 * How many keys the text can hold at most: the colons whose last non-blank character before
 * them is a quote. The colon after every key is one (wherever it is, whatever it holds); a
 * colon inside a string value may be counted too, so this is an upper bound, never less. When
 * it equals the keys JSON.parse kept, no object repeated a key (a repeat is parsed as one key)
 * and none can have more than this many: the character-by-character scan is then not needed.
 * Counted with indexOf, which jumps from colon to colon natively.
 */
export function keyTokenBound(text: string): number {
  let count = 0;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    let j = i - 1;
    while (j >= 0 && isBlank(text.charCodeAt(j))) j--;
    if (j >= 0 && text.charCodeAt(j) === 0x22 /* " */) count++;
  }
  return count;
}

/** JSON's insignificant whitespace (RFC 8259 §2). */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

interface Frame {
  parent: Frame | undefined;
  /** Where the container sits in its parent: a key or an index (undefined at the root). */
  at: string | number | undefined;
  /** Keys seen so far (objects), or null (arrays). */
  keys: Set<string> | null;
  /** Objects: the next string is a key. */
  expectKey: boolean;
  /** Objects: the last key read. Arrays: the index of the current item. */
  key?: string;
  index: number;
}

/** The FHIRPath of a container, built only when a problem is reported. */
function pathOf(frame: Frame, root: string): string {
  const parts: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent)
    parts.push(typeof f.at === 'number' ? `[${f.at}]` : `.${f.at}`);
  return root + parts.reverse().join('');
}

export interface JsonScan {
  /** The first key repeated within one object. */
  duplicate?: { frame: Frame; key: string };
  /** The first object with more than the allowed number of keys. */
  crowded?: { frame: Frame; keys: number };
}

/**
 * One pass over the raw text, before JSON.parse: the first repeated key, or the first object with
 * more than `maxKeys` keys (refused before paying for parsing it). Only strings and brackets are
 * tracked; on text that is not JSON the answer is meaningless and JSON.parse reports the syntax.
 */
export function scanJson(text: string, maxKeys = Infinity): JsonScan {
  let top: Frame | undefined;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        let key = raw;
        if (raw.includes('\\')) {
          try {
            key = JSON.parse(`"${raw}"`) as string;
          } catch {
            return {};
          }
        }
        if (top.keys.has(key)) return { duplicate: { frame: top, key } };
        top.keys.add(key);
        if (top.keys.size > maxKeys) return { crowded: { frame: top, keys: top.keys.size } };
        top.key = key;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const at = top ? (top.keys ? top.key : top.index) : undefined;
      top = { parent: top, at, keys: c === 0x7b ? new Set() : null, expectKey: c === 0x7b, index: 0 };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      top = top?.parent;
    } else if (c === 0x2c /* , */ && top) {
      if (top.keys) top.expectKey = true;
      else top.index += 1;
    }
    i += 1;
  }
  return {};
}

/** The first key that appears twice in one object, with the FHIRPath of the object. */
export function findDuplicateKey(text: string, root: string): { path: string; key: string } | undefined {
  const { duplicate } = scanJson(text);
  return duplicate ? { path: pathOf(duplicate.frame, root), key: duplicate.key } : undefined;
}

/** The resource type a body names, read before parsing (for the path of a refusal made before parsing). */
function sniffRoot(text: string): string {
  return /^\s*\{\s*"resourceType"\s*:\s*"([A-Z][A-Za-z]{1,63})"/.exec(text)?.[1] ?? '$this';
}

/** No lone UTF-16 surrogate (String.prototype.isWellFormed, ES2024, not in this project's TypeScript lib). */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** Whether any POISON_KEYS name is in the text at all (written without escapes: see stringsMayBeBad). */
function mayHoldPoisonKey(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
}

/**
 * The keys of all objects, as checkJsonShape counts them, when no limit is reached; -1 when one is
 * (checkJsonShape then runs, and refuses with the path). No path is kept and no string looked at:
 * on a valid body this is what is left of the shape check once the text has shown that no string
 * or key can be bad (issue 18: the full walk was a visible part of the edge's CPU).
 */
export function countKeysWithin(value: unknown, depthLeft: number, limits: JsonLimits): number {
  if (!value || typeof value !== 'object') return 0;
  if (depthLeft <= 0) return -1;
  let count = 0;
  if (Array.isArray(value)) {
    if (value.length > limits.maxArrayLength) return -1;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (!item || typeof item !== 'object') continue;
      const inner = countKeysWithin(item, depthLeft - 1, limits);
      if (inner < 0) return -1;
      count += inner;
    }
    return count;
  }
  const object = value as Record<string, unknown>;
  let own = 0;
  for (const key in object) {
    own++;
    const item = object[key];
    if (!item || typeof item !== 'object') continue;
    const inner = countKeysWithin(item, depthLeft - 1, limits);
    if (inner < 0) return -1;
    count += inner;
  }
  return own > MAX_OBJECT_KEYS ? -1 : count + own;
}

/** Parses a FHIR JSON body (already decoded from UTF-8) or throws the 400/413 OperationOutcome. */
export function parseFhirJson(body: string, limits: JsonLimits): unknown {
  if (body.trim() === '')
    throw bodyError(400, 'structure', 'The request body is empty; a FHIR resource was expected', '$this');
  // the text scan finds a key flood before JSON.parse pays for it, but is needed only when the
  // text can hold that many keys (a create holds a few dozen), or when the parsed keys are fewer
  // than the text's (a repeated key) — see keyTokenBound
  const bound = keyTokenBound(body);
  let scan: JsonScan | undefined = bound > MAX_OBJECT_KEYS ? scanJson(body, MAX_OBJECT_KEYS) : undefined;
  if (scan?.crowded) {
    const path = pathOf(scan.crowded.frame, sniffRoot(body));
    throw bodyError(
      400,
      'too-costly',
      `${path} has more than ${MAX_OBJECT_KEYS} keys; no FHIR element has that many`,
      path,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw bodyError(400, 'structure', `The request body is not valid JSON: ${(err as Error).message}`, '$this');
  }
  const root = rootName(parsed);
  // A NUL or a lone surrogate in a string or key comes from a \u escape or a lone surrogate in
  // the text itself (JSON.parse refuses raw control characters in strings; text decoded from
  // UTF-8 has no lone surrogates). Without either, no string or key needs the per-string check.
  const stringsMayBeBad = body.includes('\\u') || !isWellFormed(body);
  // Nothing the full walk checks per string or key can fail: only depth, array and object sizes
  // are left, which the plain count checks (it gives up, -1, where the full walk would refuse)
  const counted = stringsMayBeBad || mayHoldPoisonKey(body) ? -1 : countKeysWithin(parsed, limits.maxDepth, limits);
  const keys = counted >= 0 ? counted : checkJsonShape(parsed, limits, root, stringsMayBeBad);
  if (keys !== bound) scan ??= scanJson(body);
  if (scan?.duplicate) {
    const path = pathOf(scan.duplicate.frame, root);
    throw bodyError(
      400,
      'duplicate',
      `${path} has the key '${scan.duplicate.key}' twice; JSON objects in FHIR must not repeat a key`,
      `${path}.${scan.duplicate.key}`,
    );
  }
  return parsed;
}
