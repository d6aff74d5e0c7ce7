import t from 'tap';
import { buildUrl, type Query } from '../../../src/upstream/http.js';

/**
 * The URL every exchange targets, as the WHATWG URL API builds it when each query member is
 * appended to the URL's own searchParams (how http.ts built it before issue 18's single
 * serialisation). The two must agree byte for byte: OpenLMIS, DHIS2 and the registries read these
 * queries, and a changed encoding (a space as %20 instead of +) is a different request.
 */
function appendedUrl(baseUrl: string, path: string, query?: Query): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
  return url.toString();
}

const cases: [string, string, string, Query | undefined][] = [
  ['no query', 'http://lmis.test/', '/api/requisitions/periodsForInitiate', undefined],
  ['empty query', 'http://lmis.test', '/api/facilities', {}],
  ['only undefined members', 'http://lmis.test', '/api/facilities', { a: undefined }],
  [
    'OpenLMIS initiate',
    'https://lmis.test:8443/',
    '/api/requisitions/initiate',
    { program: 'dce17f2e-af3e-40ad-8e00-3496adef44c3', facility: 'e6799d64', suggestedPeriod: 'p1', emergency: false },
  ],
  ['numbers and booleans', 'http://h', '/x', { page: 0, size: 20, paging: true }],
  [
    'repeated members (arrays)',
    'http://h',
    '/api/requisitions/search',
    { requisitionStatus: ['SUBMITTED', 'AUTHORIZED'] },
  ],
  ['empty array', 'http://h', '/x', { status: [] }],
  ['spaces, plus, ampersand, equals', 'http://h', '/x', { q: 'a b+c&d=e', 'k y': 'v' }],
  ['unicode and reserved characters', 'http://h', '/x', { name: 'Hôpital Nord/Sud #1 ?', emoji: '💊', pct: '100%' }],
  [
    'DHIS2 filters',
    'http://dhis.test/dhis',
    '/api/organisationUnits',
    { filter: ['code:eq:LK-HP-1', 'level:eq:4'], fields: 'id,name,parent[id]' },
  ],
  ['a path with its own query', 'http://h', '/x?a=b c&d=%20e', { f: 'g h' }],
  ['a path with a fragment', 'http://h', '/x#frag', { f: 'g' }],
  ['a base under a path, trailing slashes', 'http://h/openlmis///', '/api/orders', { id: 'x' }],
  ['an encoded path segment', 'http://h', '/api/orderables/a%2Fb', { versionNumber: 3 }],
];

t.test('the query serialised once gives the same URL as appending each member', async (t) => {
  for (const [name, base, path, query] of cases)
    t.equal(buildUrl(base, path, query), appendedUrl(base, path, query), name);
});

t.test('a space in a query value is sent as +, and members keep their order', async (t) => {
  t.equal(buildUrl('http://h', '/x', { b: 'x y', a: '1' }), 'http://h/x?b=x+y&a=1');
  t.equal(buildUrl('http://h', '/x', { s: ['2', '1'] }), 'http://h/x?s=2&s=1');
});
