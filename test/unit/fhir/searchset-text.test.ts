/**
 * A searchset Bundle's text (issue 18): search.ts assembles it from each shared resource's text,
 * made once (encoded-resources.ts), and send() passes it through (json-text.ts). Whatever the
 * Bundle holds, the text is byte for byte JSON.stringify of the Bundle, on the first answer (the
 * texts made) and on the next (the texts reused).
 */
import t from 'tap';
import { adapters } from '../../../src/fhir/adapters.js';
import { EncodedResources, resourceJson } from '../../../src/fhir/encoded-resources.js';
import type { FhirContext } from '../../../src/fhir/interactions.js';
import { jsonText, withJsonText } from '../../../src/fhir/json-text.js';
import { searchsetBundle, type SearchOutcome } from '../../../src/fhir/search.js';
import { SearchsetTexts } from '../../../src/fhir/searchset-text.js';
import type { FhirServices } from '../../../src/fhir/services.js';
import type { Facility } from '../../../src/domain/index.js';

const facility = (n: number): Facility => ({
  id: `f${n}`,
  identifiers: [{ system: 'urn:code', value: `F${n}` }],
  name: `Mji "Mpya" ${n} – é ✓`,
  status: n % 3 ? 'active' : 'inactive',
  kind: 'facility',
  types: [{ system: 'urn:type', code: 'hc', display: 'Health centre' }],
  position: { latitude: -15.05 + n / 1000, longitude: 35.3 },
  programs: ['EM01'],
  lastUpdated: '2026-12-03T07:00:00.000Z',
});

const ctx = (baseUrl: string): FhirContext => ({
  version: 'r4',
  services: {} as FhirServices,
  baseUrl,
  defaultCount: 20,
  maxCount: 100,
});

function outcome(resources: Record<string, any>[], more: Partial<SearchOutcome> = {}): SearchOutcome {
  return { resources, used: [['name', 'Mji "x"&y']], offset: 0, count: 20, summaryCount: false, ...more };
}

const memo = new EncodedResources();
const shared = (n: number) =>
  memo.encode(`r4|Location|f${n}`, facility(n), () => adapters.Location.encode('r4', facility(n)));

t.test('the text is JSON.stringify of the Bundle, first made and then reused', async (t) => {
  const resources = Array.from({ length: 20 }, (_, i) => shared(i)[0]);
  const c = ctx('https://hie.example.org/fhir');
  const cases: [string, SearchOutcome][] = [
    ['one page of everything (total)', outcome(resources, { total: 20 })],
    ['paged upstream, no total, next cursor', outcome(resources, { cursor: { self: 'a b', next: 'c"d' } })],
    ['offset paging with previous and next', outcome(resources.slice(5, 10), { total: 40, offset: 5, count: 5 })],
    [
      'a resource not shared beside shared ones',
      outcome([...resources.slice(0, 3), { resourceType: 'Location', id: 'x', name: 'not "frozen"' }], { total: 4 }),
    ],
    ['no match', outcome([], { total: 0 })],
    ['_summary=count', outcome([], { total: 7, summaryCount: true })],
  ];
  for (const round of ['first', 'again']) {
    for (const [what, s] of cases) {
      const bundle = searchsetBundle(c, 'Location', s);
      t.equal(jsonText(bundle), JSON.stringify(bundle), `${what} (${round}): the same bytes`);
    }
  }
  t.equal(JSON.parse(jsonText(searchsetBundle(c, 'Location', cases[0][1]))).entry.length, 20, 'every entry is there');
});

t.test('a base URL or id that JSON must escape is escaped as JSON.stringify does', async (t) => {
  const bundle = searchsetBundle(ctx('https://h/"odd"\\base\u2028'), 'Location', outcome([shared(1)[0]], { total: 1 }));
  t.equal(jsonText(bundle), JSON.stringify(bundle));
});

t.test('a shared resource keeps one text; what is not shared is serialised each time', async (t) => {
  const [r] = shared(2);
  t.equal(resourceJson(r), JSON.stringify(r), 'its text');
  t.equal(resourceJson(r), resourceJson(r), 'the same text again');
  const own: Record<string, any> = { resourceType: 'Location', id: 'mine', name: 'a' };
  t.equal(resourceJson(own), JSON.stringify(own));
  own.name = 'b';
  t.equal(resourceJson(own), JSON.stringify(own), 'a resource that may change is never remembered');
  t.throws(() => {
    (r as Record<string, any>).name = 'changed';
  }, 'a shared resource cannot change under its text');
});

t.test('a repeated search answers its last text; any change makes the new one', async (t) => {
  const texts = new SearchsetTexts(2);
  const head = (total: number, base = 'https://h/fhir') => ({
    resourceType: 'Bundle',
    type: 'searchset',
    total,
    link: [{ relation: 'self', url: `${base}/Location?_count=20` }],
  });
  const bundleText = (h: Record<string, any>, base: string, resources: Record<string, any>[]) =>
    JSON.stringify({
      ...h,
      entry: resources.map((r) => ({ fullUrl: `${base}/Location/${r.id}`, resource: r, search: { mode: 'match' } })),
    });
  const page = [1, 2, 3].map((n) => shared(n)[0]);
  const first = texts.text(head(3), 'https://h/fhir/Location/', page);
  t.equal(first, bundleText(head(3), 'https://h/fhir', page), 'made: JSON.stringify of the Bundle');
  t.equal(texts.size, 1, 'remembered');
  t.equal(texts.text(head(3), 'https://h/fhir/Location/', [...page]), first, 'the same page again: the same text');
  t.equal(texts.size, 1);

  // facility 2 renamed upstream: a new shared resource under the same id, the head unchanged
  const renamed = { ...facility(2), name: 'Renamed "two"' };
  const [two] = memo.encode('r4|Location|f2', renamed, () => adapters.Location.encode('r4', renamed));
  const changed = [page[0], two, page[2]];
  t.equal(
    texts.text(head(3), 'https://h/fhir/Location/', changed),
    bundleText(head(3), 'https://h/fhir', changed),
    'a changed resource: the new text, not the remembered one',
  );
  t.match(texts.text(head(3), 'https://h/fhir/Location/', changed), /Renamed \\"two\\"/);
  t.equal(
    texts.text(head(4), 'https://h/fhir/Location/', changed),
    bundleText(head(4), 'https://h/fhir', changed),
    'another head (total, links): its own text',
  );
  t.equal(
    texts.text(head(3, 'https://other/fhir'), 'https://other/fhir/Location/', changed),
    bundleText(head(3, 'https://other/fhir'), 'https://other/fhir', changed),
    'another base URL: its own text',
  );
  t.equal(texts.size, 2, 'at most `keep` texts');

  const own = { resourceType: 'Location', id: 'mine', name: 'may change' };
  const mixed = [page[0], own];
  t.equal(texts.text(head(2), 'https://h/fhir/Location/', mixed), bundleText(head(2), 'https://h/fhir', mixed));
  own.name = 'changed in place';
  t.equal(
    texts.text(head(2), 'https://h/fhir/Location/', mixed),
    bundleText(head(2), 'https://h/fhir', mixed),
    'a resource that is not shared: made again every time, never remembered',
  );
});

t.test('jsonText: a registered text is used; anything else is JSON.stringify', async (t) => {
  t.equal(jsonText(withJsonText({ a: 1 }, () => '{"a":1}')), '{"a":1}');
  t.equal(jsonText({ b: [1, 'x'] }), '{"b":[1,"x"]}');
  t.equal(jsonText([1]), '[1]');
  t.equal(jsonText(null), 'null');
});
