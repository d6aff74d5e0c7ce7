/**
 * SeenVersions gives each search match contentVersion(value), hashing again only values that
 * changed: every answer is checked against the hash itself, for values equal in content (another
 * object, other key order, undefined members) and for every kind of change.
 */
import t from 'tap';
import { contentVersion } from '../../../src/domain/ids.js';
import { SeenVersions, sameContent } from '../../../src/routing/seen-versions.js';

const base = () => ({
  id: 'f1',
  identifiers: [{ system: 's', value: 'F1' }],
  name: 'Mji Mpya',
  status: 'active',
  kind: 'facility',
  types: [{ system: 't', code: 'hc', display: 'Health centre' }],
  position: { latitude: -15.05, longitude: 35.3 },
  programs: ['EM01'],
  description: undefined as string | undefined,
});

t.test('equal content in another object keeps the version; every change gives the new hash', async (t) => {
  const seen = new SeenVersions();
  const first = seen.version('f1', base());
  t.equal(first, contentVersion(base()));
  const reordered = { ...base(), name: 'Mji Mpya', id: 'f1', extra: undefined };
  t.equal(seen.version('f1', reordered), first, 'other key order and an undefined member: same content');
  const changes: [string, (v: ReturnType<typeof base> & Record<string, unknown>) => void][] = [
    ['a renamed facility', (v) => (v.name = 'Mji Mpya Clinic')],
    ['a nested value', (v) => (v.position.latitude = -15.06)],
    ['an array item', (v) => (v.programs = ['EM01', 'FP'])],
    [
      'an array order',
      (v) =>
        (v.identifiers = [
          { system: 's', value: 'F1' },
          { system: 'x', value: '1' },
        ].reverse()),
    ],
    ['a member added', (v) => (v.description = 'new')],
    ['a member removed', (v) => delete (v as Record<string, unknown>).types],
    ['a number that JSON writes as null', (v) => (v.position.latitude = Number.NaN)],
    ['a Date', (v) => ((v as Record<string, unknown>).seen = new Date(0))],
    ['an undefined array item', (v) => (v.programs = [undefined as unknown as string])],
    ['back to the first', () => undefined],
  ];
  for (const [what, change] of changes) {
    const value = base() as ReturnType<typeof base> & Record<string, unknown>;
    change(value);
    t.equal(seen.version('f1', value), contentVersion(value), what);
  }
});

t.test('sameContent is false whenever the canonical JSON could differ', async (t) => {
  t.ok(sameContent({ a: 1, b: undefined }, { a: 1 }));
  t.ok(sameContent([{ x: 'y' }], [{ x: 'y' }]));
  t.notOk(sameContent({ a: 1 }, { a: '1' }));
  t.notOk(sameContent([1, 2], [2, 1]));
  t.notOk(sameContent({ a: [] }, { a: {} }));
  t.notOk(sameContent(Number.NaN, Number.NaN), 'NaN is not vouched for');
  t.notOk(sameContent(new Date(0), new Date(0)), 'class instances are not vouched for');
});

t.test('at most maxIds ids are remembered, the longest unchanged dropped first', async (t) => {
  const seen = new SeenVersions(2);
  for (const [id, n] of [
    ['a', 1],
    ['b', 1],
    ['a', 2],
    ['c', 1],
  ] as const)
    seen.version(id, { id, n });
  const kept = (seen as unknown as { memo: { last: Map<string, unknown> } }).memo.last;
  t.same([...kept.keys()], ['a', 'c'], "'b' was hashed longest ago ('a' changed since)");
});
