import t from 'tap';
import { createHash } from 'node:crypto';
import { canonicalJson, contentVersion, contentVersionWithout } from '../../../src/domain/ids.js';
import { hashPayload } from '../../../src/outbox/hash.js';
import { supplyRequest, location } from '../../support/samples.js';

/**
 * The map/filter/sort form canonicalJson had before it was rewritten as one pass. Persisted
 * payload hashes (outbox idempotency) and keys built from content versions depend on its exact
 * bytes, so the new form must give the same text for every value.
 */
function previousCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(previousCanonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${previousCanonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Deterministic pseudo-random values with awkward keys, strings and nesting. */
function randomValue(seed: { n: number }, depth: number): unknown {
  const r = () => {
    seed.n = (seed.n * 1103515245 + 12345) % 2147483648;
    return seed.n / 2147483648;
  };
  // lone surrogates (escaped by JSON.stringify), and halves that join into a pair when concatenated
  const awkward = [
    'a',
    'B',
    '_x',
    '10',
    '2',
    'é',
    'quo"te',
    'back\\slash',
    'ctl\u0001',
    'tab\t',
    '\u2028',
    '😀',
    'z',
    '\ud83d',
    '\ude00',
    '\u001f',
    '\u007f',
  ];
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const kind = depth > 3 ? Math.floor(r() * 6) : Math.floor(r() * 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 2000) - 1000 + (r() < 0.3 ? 0.25 : 0);
    case 3:
      return pick(awkward) + pick(awkward);
    case 4:
      return undefined;
    case 5:
      return pick([Number.NaN, Infinity, -Infinity, -0, 1e21, 1e-7, 0.1 + 0.2, Number.MAX_VALUE, 5e-324]);
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(seed, depth + 1));
    case 7:
      return new Date(0);
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 6); i > 0; i--)
        out[pick(awkward) + (r() < 0.5 ? pick(awkward) : '')] = randomValue(seed, depth + 1);
      return out;
    }
  }
}

t.test('canonicalJson gives the same bytes as its previous form', async (t) => {
  for (const value of [supplyRequest(), location(), { b: 1, a: [undefined, () => 1, { d: undefined, c: 'x' }] }]) {
    t.equal(canonicalJson(value), previousCanonicalJson(value));
  }
  const seed = { n: 42 };
  let differing = 0;
  for (let i = 0; i < 2000; i++) {
    const value = randomValue(seed, 0);
    if (canonicalJson(value) !== previousCanonicalJson(value)) differing++;
  }
  t.equal(differing, 0, '2000 random values with awkward keys: none differ');
  t.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}', 'keys sorted');
  t.equal(canonicalJson({ 'q"k': undefined, 'e\u0001': 'v' }), '{"e\\u0001":"v"}', 'escaped keys, undefined left out');
});

t.test('canonicalJson: objects with many keys in any order, every character JSON.stringify escapes', async (t) => {
  // session 17: keys are sorted by insertion and strings quoted without JSON.stringify when
  // nothing in them needs escaping; both must still give the previous form's bytes
  const seed = { n: 1234 };
  const r = () => {
    seed.n = (seed.n * 1103515245 + 12345) % 2147483648;
    return seed.n / 2147483648;
  };
  const keys = ['z', 'a', 'Z', 'A', '_', '0', '10', '9', 'é', 'aa', 'a\u0000', 'b"', '~', 'ab', 'a b', '\ud83d\ude00'];
  let differing = 0;
  for (let i = 0; i < 300; i++) {
    const value: Record<string, unknown> = {};
    const shuffled = [...keys].sort(() => r() - 0.5).slice(0, 1 + Math.floor(r() * keys.length));
    for (const key of shuffled) value[key] = i % 2 ? key : { [key]: [key, i] };
    if (canonicalJson(value) !== previousCanonicalJson(value)) differing++;
  }
  t.equal(differing, 0, '300 objects of up to 16 keys in random order: none differ');
  // every code unit a string can hold, one string per unit and one with all of them
  const units = Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c));
  const unitsDiffering = units.filter(
    (u) => canonicalJson({ [u]: `x${u}y` }) !== previousCanonicalJson({ [u]: `x${u}y` }),
  );
  t.same(unitsDiffering, [], 'each UTF-16 code unit, as a key and in a value, written as JSON.stringify writes it');
  t.equal(canonicalJson([units.join('')]), previousCanonicalJson([units.join('')]), 'all of them in one string');
  t.equal(canonicalJson(['\ud83d\ude00', '\ud83d', 'a"b\\c\n']), '["😀","\\ud83d","a\\"b\\\\c\\n"]');
});

t.test('hashes stay what they were: payload hashes and content versions', async (t) => {
  const payload = supplyRequest({ order: 'ORD-HASH' });
  t.equal(hashPayload(payload), createHash('sha256').update(previousCanonicalJson(payload)).digest('hex'));
  t.equal(
    contentVersion(payload),
    createHash('sha256').update(previousCanonicalJson(payload)).digest('hex').slice(0, 16),
  );
});

t.test('contentVersionWithout is the hash of the object without that member, and copies nothing', async (t) => {
  const resource = { resourceType: 'SupplyRequest', id: 'x', meta: { versionId: 'old' }, ...supplyRequest() };
  const { meta: _m, ...content } = resource;
  t.equal(contentVersionWithout(resource, 'meta'), contentVersion(content));
  t.ok('meta' in resource, 'the object keeps its member');
  const seed = { n: 7 };
  let differing = 0;
  for (let i = 0; i < 500; i++) {
    const value = { meta: randomValue(seed, 1), a: randomValue(seed, 1), z: randomValue(seed, 1) };
    const { meta: _x, ...rest } = value;
    if (contentVersionWithout(value, 'meta') !== contentVersion(rest)) differing++;
  }
  t.equal(differing, 0, '500 random objects: none differ');
});
