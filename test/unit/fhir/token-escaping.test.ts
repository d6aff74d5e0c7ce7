/**
 * FHIR search escaping in a token (search.html §2.1.1.7): `\|`, `\$`, `\,` and `\\` stand for the
 * character. A token splits at its first unescaped `|`, so `ORD\|7` is the value `ORD|7` in any
 * system, never the value `7` in the system `ORD\`, and the escapes are undone in both parts.
 */
import t, { type Test } from 'tap';
import { orList } from '../../../src/fhir/search.js';
import { parseToken } from '../../../src/fhir/search-params.js';
import { fhirJson, testApp } from '../../support/app.js';
import { supplyRequest } from '../../support/samples.js';

t.test('a token splits at its first unescaped bar and each part is unescaped', async (t) => {
  t.same(parseToken('DL\\|1'), { code: 'DL|1' });
  t.same(parseToken('https://app|DL\\|1'), { system: 'https://app', code: 'DL|1' });
  t.same(parseToken('https://app|DL|1'), { system: 'https://app', code: 'DL|1' });
  t.same(parseToken('urn:a\\|b|c\\$d\\,e\\\\f'), { system: 'urn:a|b', code: 'c$d,e\\f' });
  t.same(parseToken('DL\\\\|1'), { system: 'DL\\', code: '1' }, 'an escaped backslash escapes no bar');
  t.same(parseToken('|DL-1'), { system: undefined, code: 'DL-1' });
  t.same(parseToken('DL-1'), { code: 'DL-1' });
});

type App = Awaited<ReturnType<typeof testApp>>['app'];

async function createOrder(t: Test, app: App, order: string): Promise<void> {
  const created = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order }),
  });
  t.equal(created.statusCode, 201, created.body);
}

t.test('an order number with a bar is found by its escaped value, with and without its system', async (t) => {
  const { app } = await testApp();
  await createOrder(t, app, 'ORD|7');
  for (const q of ['https://app.example.org/orders|ORD\\|7', 'ORD\\|7']) {
    const url = `/fhir/SupplyRequest?identifier=${encodeURIComponent(q)}`;
    const res = await app.inject({ method: 'GET', url, headers: fhirJson });
    t.equal(res.statusCode, 200);
    t.equal(res.json().total, 1, q);
  }
});

t.test('an OR list splits at unescaped commas and leaves each token escaped for its bar', async (t) => {
  t.same(orList('a\\,b|c'), ['a\\,b|c'], 'an escaped comma is the value’s');
  t.same(parseToken(orList('a\\,b|c')[0]), { system: 'a,b', code: 'c' });
  t.same(orList('a\\\\,b|c'), ['a\\\\', 'b|c'], 'an escaped backslash escapes no comma');
  t.same(
    orList('x\\|y,z').map((v) => parseToken(v).code),
    ['x|y', 'z'],
    'unescaped once, after the bar',
  );
  t.same(orList('urn:s|a\\\\\\,b'), ['urn:s|a\\\\\\,b']);
  t.same(parseToken(orList('urn:s|a\\\\\\,b')[0]), { system: 'urn:s', code: 'a\\,b' });
});

t.test('an escaped backslash before a comma ends the value: a comma list, not a comma', async (t) => {
  const { app } = await testApp();
  await createOrder(t, app, 'ORD,8');
  const search = (q: string) =>
    app.inject({ method: 'GET', url: `/fhir/SupplyRequest?identifier=${encodeURIComponent(q)}`, headers: fhirJson });
  const found = await search('ORD\\,8');
  t.equal(found.json().total, 1, 'ORD\\,8 is the value ORD,8');
  const listed = await search('ORD\\\\,8');
  t.equal(listed.statusCode, 400, 'ORD\\\\,8 is the values ORD\\ and 8');
  t.match(listed.body, /comma list/);
});
