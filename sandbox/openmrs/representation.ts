import { restError } from './errors.js';

/**
 * REST representations (`v=ref|default|full|custom:(…)`) as the webservices.rest module builds
 * them: each resource says what its ref, default and full forms hold and how to read one property;
 * a custom representation lists properties, each optionally with its own nested representation
 * (`tags:(uuid,name)`, `parentLocation:ref`), and a nested one without is given at DEFAULT.
 */
export type Json = Record<string, unknown>;
export type Spec = Map<string, Rep | undefined>;
export type Rep = { kind: 'ref' | 'default' | 'full' } | { kind: 'custom'; spec: Spec };

export const REF: Rep = { kind: 'ref' };
export const DEFAULT: Rep = { kind: 'default' };
export const FULL: Rep = { kind: 'full' };
export const UNKNOWN = Symbol('unknown property');

export interface Resource<T> {
  ref(x: T): Json;
  default(x: T): Json;
  full(x: T): Json;
  /** One property at the given nested representation, or UNKNOWN. */
  prop(x: T, name: string, rep: Rep): unknown;
}

/** Parses the text after `custom:` — `(a,b:(c,d),e:ref)`. */
function parseSpec(text: string, at: { i: number }): Spec {
  const spec: Spec = new Map();
  if (text[at.i] !== '(') throw restError(400, `Invalid custom representation: '(' expected at ${at.i}`);
  at.i++;
  while (at.i < text.length) {
    let name = '';
    while (at.i < text.length && !',:)'.includes(text[at.i])) name += text[at.i++];
    name = name.trim();
    let rep: Rep | undefined;
    if (text[at.i] === ':') {
      at.i++;
      if (text[at.i] === '(') rep = { kind: 'custom', spec: parseSpec(text, at) };
      else {
        let word = '';
        while (at.i < text.length && !',)'.includes(text[at.i])) word += text[at.i++];
        rep = parseNamed(word.trim());
      }
    }
    if (name) spec.set(name, rep);
    if (text[at.i] === ',') {
      at.i++;
      continue;
    }
    if (text[at.i] === ')') {
      at.i++;
      return spec;
    }
  }
  throw restError(400, 'Invalid custom representation: missing )');
}

function parseNamed(word: string): Rep {
  if (word === 'ref') return REF;
  if (word === 'default') return DEFAULT;
  if (word === 'full') return FULL;
  throw restError(400, `Unknown representation: ${word}`);
}

export function parseRep(v: unknown, fallback: Rep = DEFAULT): Rep {
  if (typeof v !== 'string' || !v) return fallback;
  if (v.startsWith('custom:')) return { kind: 'custom', spec: parseSpec(v.slice('custom:'.length), { i: 0 }) };
  return parseNamed(v);
}

export function render<T>(resource: Resource<T>, x: T, rep: Rep): Json {
  if (rep.kind !== 'custom') return resource[rep.kind](x);
  const out: Json = {};
  for (const [name, sub] of rep.spec) {
    const value = resource.prop(x, name, sub ?? DEFAULT);
    if (value === UNKNOWN)
      throw restError(
        400,
        `Unknown property: ${name} on ${x && typeof x === 'object' ? 'resource' : String(x)}`,
        'org.openmrs.module.webservices.rest.web.response.ConversionException:*',
      );
    out[name] = value;
  }
  return out;
}

/** `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, as OpenMRS writes dates (UTC here). */
export function restDate(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace('Z', '+0000');
}

export const links = (self: string, withFull: boolean) => [
  { rel: 'self', uri: self },
  ...(withFull ? [{ rel: 'full', uri: `${self}?v=full` }] : []),
];
