import t from 'tap';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { testApp, fhirJson, basicAuth } from '../../support/app.js';
import { inventoryReport, location, supplyDelivery, supplyRequest, transaction } from '../../support/samples.js';

/**
 * Each case is a distinct way to get a request wrong; each must be refused with the right status
 * and an OperationOutcome whose expression points at the bad element — and must change nothing.
 */
interface Case {
  name: string;
  method?: 'POST' | 'PUT' | 'GET' | 'DELETE' | 'PATCH';
  url: string;
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  expression?: string;
  diagnostics?: RegExp;
}

const sr = (patch: (r: any) => void) => {
  const r = supplyRequest();
  patch(r);
  return r;
};
const loc = (patch: (r: any) => void) => {
  const r = location();
  patch(r);
  return r;
};
const ir = (patch: (r: any) => void) => {
  const r = inventoryReport();
  patch(r);
  return r;
};
const sd = (patch: (r: any) => void) => {
  const r = supplyDelivery();
  patch(r);
  return r;
};

const cases: Case[] = [
  // R4's schema gives complex types no JSON type: a string where an object belongs must not pass
  {
    name: 'R4: a string where the Reference deliverTo belongs',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.deliverTo = 'Location/fac-1';
    }),
    status: 400,
    expression: 'SupplyRequest.deliverTo',
    diagnostics: /must be object/,
  },
  {
    name: 'R5: a string where the Reference deliverTo belongs',
    url: '/fhir/R5/SupplyRequest',
    body: sr((r) => {
      r.deliverTo = 'Location/fac-1';
    }),
    status: 400,
    expression: 'SupplyRequest.deliverTo',
  },
  {
    name: 'R4: a string where Location.partOf belongs',
    url: '/fhir/Location',
    body: loc((r) => {
      r.partOf = 'Location/district-1';
    }),
    status: 400,
    expression: 'Location.partOf',
  },
  {
    name: 'R4: meta as a string',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.meta = '2026-01-01';
    }),
    status: 400,
    expression: 'SupplyRequest.meta',
  },
  {
    name: 'R4: an identifier given as a string',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.identifier = ['ORDER-1'];
    }),
    status: 400,
    expression: 'SupplyRequest.identifier[0]',
  },
  {
    name: 'status outside the required value set',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.status = 'shipped';
    }),
    status: 400,
    expression: 'SupplyRequest.status',
  },
  {
    name: 'priority outside request-priority',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.priority = 'whenever';
    }),
    status: 400,
    expression: 'SupplyRequest.priority',
  },
  {
    name: 'missing quantity',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      delete r.quantity;
    }),
    status: 400,
    expression: 'SupplyRequest.quantity',
  },
  {
    name: 'missing item[x]',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      delete r.itemCodeableConcept;
    }),
    status: 400,
    expression: 'SupplyRequest.itemCodeableConcept',
  },
  {
    name: 'impossible authoredOn date',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.authoredOn = '2024-13-45';
    }),
    status: 400,
    expression: 'SupplyRequest.authoredOn',
  },
  {
    name: 'dateTime with a time but no zone',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.authoredOn = '2026-11-20T08:00:00';
    }),
    status: 400,
    expression: 'SupplyRequest.authoredOn',
  },
  {
    name: 'unknown element',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.colour = 'blue';
    }),
    status: 400,
    expression: 'SupplyRequest.colour',
  },
  {
    name: 'status as an array',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.status = ['active'];
    }),
    status: 400,
    expression: 'SupplyRequest.status',
  },
  {
    name: 'quantity.value as a string',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.quantity.value = '100';
    }),
    status: 400,
    expression: 'SupplyRequest.quantity.value',
  },
  {
    name: 'empty string',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.identifier[0].value = '';
    }),
    status: 400,
    expression: 'SupplyRequest.identifier[0].value',
  },
  {
    name: 'empty array',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.supplier = [];
    }),
    status: 400,
    expression: 'SupplyRequest.supplier',
  },
  {
    name: 'null value',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.requester = null;
    }),
    status: 400,
    expression: 'SupplyRequest.requester',
  },
  {
    name: 'empty object',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.category = {};
    }),
    status: 400,
    expression: 'SupplyRequest.category',
  },
  {
    name: 'R5 item shape on the R4 base',
    url: '/fhir/SupplyRequest',
    body: supplyRequest({ r5: true }),
    status: 400,
    expression: 'SupplyRequest.item',
  },
  {
    name: 'zero quantity',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.quantity.value = 0;
    }),
    status: 422,
    expression: 'SupplyRequest.quantity.value',
  },
  {
    name: 'no deliverTo',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      delete r.deliverTo;
    }),
    status: 422,
    expression: 'SupplyRequest.deliverTo',
  },
  {
    name: 'deliverTo not a Location',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.deliverTo = { reference: 'Patient/1' };
    }),
    status: 422,
    expression: 'SupplyRequest.deliverTo.reference',
  },
  {
    name: 'product without a code system',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      delete r.itemCodeableConcept.coding[0].system;
    }),
    status: 422,
    expression: 'SupplyRequest.itemCodeableConcept',
  },
  {
    name: 'unknown quantity unit code',
    url: '/fhir/SupplyRequest',
    body: sr((r) => {
      r.quantity.code = 'crate';
    }),
    status: 422,
    expression: 'SupplyRequest.quantity.code',
  },
  {
    name: 'body type differs from URL',
    url: '/fhir/SupplyRequest',
    body: location(),
    status: 400,
    expression: 'resourceType',
  },
  { name: 'no resourceType', url: '/fhir/Location', body: { name: 'x' }, status: 400, expression: 'resourceType' },
  {
    name: 'Location status outside value set',
    url: '/fhir/Location',
    body: loc((r) => {
      r.status = 'closed';
    }),
    status: 400,
    expression: 'Location.status',
  },
  {
    name: 'Location mode outside value set',
    url: '/fhir/Location',
    body: loc((r) => {
      r.mode = 'building';
    }),
    status: 400,
    expression: 'Location.mode',
  },
  {
    name: 'Location position without longitude',
    url: '/fhir/Location',
    body: loc((r) => {
      delete r.position.longitude;
    }),
    status: 400,
    expression: 'Location.position.longitude',
  },
  {
    name: 'Location daysOfWeek outside value set',
    url: '/fhir/Location',
    body: loc((r) => {
      r.hoursOfOperation = [{ daysOfWeek: ['someday'] }];
    }),
    status: 400,
    expression: 'Location.hoursOfOperation[0].daysOfWeek[0]',
  },
  { name: 'InventoryReport on the R4 base', url: '/fhir/InventoryReport', body: inventoryReport(), status: 404 },
  {
    name: 'InventoryReport without status',
    url: '/fhir/R5/InventoryReport',
    body: ir((r) => {
      delete r.status;
    }),
    status: 400,
    expression: 'InventoryReport.status',
  },
  {
    name: 'InventoryReport countType outside value set',
    url: '/fhir/R5/InventoryReport',
    body: ir((r) => {
      r.countType = 'estimate';
    }),
    status: 400,
    expression: 'InventoryReport.countType',
  },
  {
    name: 'InventoryReport without reportedDateTime',
    url: '/fhir/R5/InventoryReport',
    body: ir((r) => {
      delete r.reportedDateTime;
    }),
    status: 400,
    expression: 'InventoryReport.reportedDateTime',
  },
  {
    name: 'InventoryReport item without quantity',
    url: '/fhir/R5/InventoryReport',
    body: ir((r) => {
      delete r.inventoryListing[0].item[0].quantity;
    }),
    status: 400,
    expression: 'InventoryReport.inventoryListing[0].item[0].quantity',
  },
  {
    name: 'negative snapshot count',
    url: '/fhir/R5/InventoryReport',
    body: inventoryReport({ qty: -5 }),
    status: 422,
    expression: 'InventoryReport.inventoryListing[0].item[0].quantity.value',
  },
  {
    name: 'InventoryReport without listing',
    url: '/fhir/R5/InventoryReport',
    body: ir((r) => {
      delete r.inventoryListing;
    }),
    status: 422,
    expression: 'InventoryReport.inventoryListing',
  },
  {
    name: 'SupplyDelivery status outside value set',
    url: '/fhir/SupplyDelivery',
    body: sd((r) => {
      r.status = 'delivered';
    }),
    status: 400,
    expression: 'SupplyDelivery.status',
  },
  {
    name: 'SupplyDelivery type outside supply-item-type',
    url: '/fhir/SupplyDelivery',
    body: sd((r) => {
      r.type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/supply-item-type', code: 'food' }] };
    }),
    status: 400,
    expression: 'SupplyDelivery.type.coding[0].code',
  },
  {
    name: 'our quantity-rejected extension as a valueInteger (it would be dropped)',
    url: '/fhir/SupplyDelivery',
    body: sd((r) => {
      r.suppliedItem.extension = [
        { url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/quantity-rejected', valueInteger: 2 },
        { url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/rejection-reason', valueString: 'broken' },
      ];
    }),
    status: 400,
    expression: 'SupplyDelivery.suppliedItem.extension[0].valueInteger',
    diagnostics: /quantity-rejected\) takes valueQuantity, not valueInteger/,
  },
  {
    name: 'our stock-reason extension as a valueCodeableConcept (it would be dropped)',
    url: '/fhir/R5/InventoryReport',
    body: ir((r) => {
      r.inventoryListing[0].item[0].extension = [
        {
          url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/stock-reason',
          valueCodeableConcept: { coding: [{ code: 'Damaged' }] },
        },
      ];
    }),
    status: 400,
    expression: 'InventoryReport.inventoryListing[0].item[0].extension[0].valueCodeableConcept',
    diagnostics: /stock-reason\) takes valueCoding/,
  },
  {
    name: 'our lot-number extension as a valueCode',
    url: '/fhir/R5/InventoryReport',
    body: ir((r) => {
      r.inventoryListing[0].item[0].extension = [
        { url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/lot-number', valueCode: 'LOT-1' },
      ];
    }),
    status: 400,
    expression: 'InventoryReport.inventoryListing[0].item[0].extension[0].valueCode',
  },
  {
    name: 'rejected quantity without a reason',
    url: '/fhir/SupplyDelivery',
    body: supplyDelivery({ rejected: 2 }),
    status: 422,
    expression: 'SupplyDelivery.suppliedItem.extension',
  },
  {
    name: 'R4 suppliedItem as an array',
    url: '/fhir/SupplyDelivery',
    body: sd((r) => {
      r.suppliedItem = [r.suppliedItem];
    }),
    status: 400,
    expression: 'SupplyDelivery.suppliedItem',
  },
  { name: 'malformed JSON', url: '/fhir/SupplyRequest', raw: '{"resourceType": "SupplyRequest",', status: 400 },
  { name: 'empty body', url: '/fhir/SupplyRequest', raw: '', status: 400 },
  {
    name: 'XML body',
    url: '/fhir/SupplyRequest',
    raw: '<SupplyRequest/>',
    headers: { 'content-type': 'application/fhir+xml' },
    status: 415,
  },
  {
    name: 'text/plain body',
    url: '/fhir/SupplyRequest',
    raw: 'hello',
    headers: { 'content-type': 'text/plain' },
    status: 415,
  },
  {
    name: 'JSON nested too deep',
    url: '/fhir/SupplyRequest',
    raw: `${'{"a":'.repeat(60)}1${'}'.repeat(60)}`,
    status: 400,
    diagnostics: /deeper than 48 levels/,
  },
  {
    name: 'array too long',
    url: '/fhir/SupplyRequest',
    raw: JSON.stringify({
      resourceType: 'SupplyRequest',
      identifier: Array.from({ length: 6000 }, (_, i) => ({ value: String(i) })),
    }),
    status: 413,
    expression: 'SupplyRequest.identifier',
  },
  {
    name: 'body over the size limit',
    url: '/fhir/SupplyRequest',
    raw: JSON.stringify({ resourceType: 'SupplyRequest', text: 'x'.repeat(6 * 1024 * 1024) }),
    status: 413,
  },
  {
    name: 'update with id differing from URL',
    method: 'PUT',
    url: '/fhir/SupplyRequest/abc',
    body: supplyRequest({ id: 'xyz' }),
    status: 400,
    expression: 'SupplyRequest.id',
  },
  { name: 'invalid id in URL', method: 'GET', url: '/fhir/Location/bad_id!', status: 400 },
  { name: 'DELETE of a delivery line not allowed', method: 'DELETE', url: '/fhir/SupplyDelivery/abc', status: 405 },
  // DELETE of an order line cancels it (issue 16): one not known is a 404
  { name: 'DELETE of an unknown order line', method: 'DELETE', url: '/fhir/SupplyRequest/abc', status: 404 },
  { name: 'DELETE of an unknown facility', method: 'DELETE', url: '/fhir/Location/abc', status: 404 },
  { name: 'PATCH needs a JSON Patch', method: 'PATCH', url: '/fhir/Location/abc', body: [], status: 415 },
  { name: 'unknown resource type', method: 'GET', url: '/fhir/Patient', status: 404 },
  {
    name: 'unknown search parameter with handling=strict',
    method: 'GET',
    url: '/fhir/Location?colour=blue',
    headers: { prefer: 'handling=strict' },
    status: 400,
    expression: 'colour',
  },
  { name: 'bad _count', method: 'GET', url: '/fhir/Location?_count=many', status: 400, expression: '_count' },
  {
    name: 'bad date prefix value',
    method: 'GET',
    url: '/fhir/Location?_lastUpdated=gtyesterday',
    status: 400,
    expression: '_lastUpdated',
  },
  {
    name: 'unsupported _sort key',
    method: 'GET',
    url: '/fhir/Location?_sort=colour',
    status: 400,
    expression: '_sort',
  },
  { name: 'XML _format', method: 'GET', url: '/fhir/Location?_format=xml', status: 406, expression: '_format' },
  {
    name: 'Bundle of the wrong type at the base',
    url: '/fhir',
    body: { resourceType: 'Bundle', type: 'collection' },
    status: 400,
    expression: 'Bundle.type',
  },
  {
    name: 'transaction entry without request',
    url: '/fhir',
    body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: supplyRequest() }] },
    status: 400,
    expression: 'Bundle.entry[0].request',
  },
  {
    name: 'transaction with one invalid entry',
    url: '/fhir',
    body: transaction([
      { method: 'POST', url: 'SupplyRequest', resource: supplyRequest() },
      {
        method: 'POST',
        url: 'SupplyRequest',
        resource: sr((r) => {
          r.status = 'bogus';
        }),
      },
    ]),
    status: 400,
    expression: 'Bundle.entry[1].resource.status',
  },
  {
    name: 'transaction DELETE entry of a delivery line',
    url: '/fhir',
    body: transaction([{ method: 'DELETE', url: 'SupplyDelivery/x' }]),
    status: 405,
    expression: 'Bundle.entry[0].request.method',
  },
  {
    name: 'two lines of one order for the same product',
    url: '/fhir',
    body: transaction([
      { method: 'POST', url: 'SupplyRequest', resource: supplyRequest({ qty: 5 }) },
      { method: 'PUT', url: 'SupplyRequest/other-line', resource: supplyRequest({ qty: 7, id: 'other-line' }) },
    ]),
    status: 422,
    expression: 'Bundle.entry[1].resource.itemCodeableConcept',
  },
  {
    name: 'lines of one order disagreeing on deliverTo',
    url: '/fhir',
    body: transaction([
      { method: 'POST', url: 'SupplyRequest', resource: supplyRequest({ gtin: '1' }) },
      { method: 'POST', url: 'SupplyRequest', resource: supplyRequest({ gtin: '2', facility: 'fac-2' }) },
    ]),
    status: 422,
    expression: 'Bundle.entry[1].resource',
  },
];

t.test('invalid inputs are refused precisely and change nothing', async (t) => {
  const { app, mem } = await testApp();
  t.ok(cases.length >= 30, `${cases.length} distinct invalid inputs`);
  for (const c of cases) {
    const headers = { ...fhirJson, ...(c.headers ?? {}) };
    const payload = c.raw !== undefined ? c.raw : c.body !== undefined ? JSON.stringify(c.body) : undefined;
    const res = await app.inject({ method: c.method ?? 'POST', url: c.url, headers, payload });
    t.equal(res.statusCode, c.status, `${c.name}: status`);
    const body = res.json();
    t.equal(body.resourceType, 'OperationOutcome', `${c.name}: OperationOutcome`);
    t.ok(body.issue?.[0]?.diagnostics, `${c.name}: has diagnostics`);
    t.notMatch(res.body, /at .*\.(ts|js):\d+/, `${c.name}: no stack trace`);
    if (c.diagnostics) t.match(body.issue[0].diagnostics, c.diagnostics, `${c.name}: diagnostics`);
    if (c.expression) {
      const expressions = body.issue.flatMap((i: any) => i.expression ?? []);
      t.ok(
        expressions.includes(c.expression),
        `${c.name}: expression ${c.expression} in ${JSON.stringify(expressions)}`,
      );
    }
  }
  t.equal(
    mem.flows.orders.items.size +
      mem.flows.facilities.items.size +
      mem.flows.stock.items.size +
      mem.flows.deliveries.items.size,
    0,
    'nothing was written',
  );
});

t.test('an element of the wrong JSON type is one issue, not also every part it lacks', async (t) => {
  const { app } = await testApp();
  for (const url of ['/fhir/Location', '/fhir/R5/Location']) {
    const body = loc((r) => {
      r.position = 'here';
    });
    const res = await app.inject({ method: 'POST', url, headers: fhirJson, payload: JSON.stringify(body) });
    t.equal(res.statusCode, 400, `${url}: 400`);
    t.same(
      res.json().issue.map((i: any) => i.expression),
      [['Location.position']],
      `${url}: only Location.position, not its latitude and longitude`,
    );
  }
});

t.test('gzip bodies are read; a corrupt gzip body is a 400', async (t) => {
  const { app } = await testApp();
  const ok = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: { ...fhirJson, 'content-encoding': 'gzip' },
    payload: gzipSync(JSON.stringify(supplyRequest())),
  });
  t.equal(ok.statusCode, 201);
  const bad = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: { ...fhirJson, 'content-encoding': 'gzip' },
    payload: Buffer.from('not gzip at all'),
  });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().resourceType, 'OperationOutcome');
  t.match(bad.json().issue[0], {
    code: 'structure',
    diagnostics: 'The request body could not be decompressed: it is not valid gzip data (Content-Encoding: gzip)',
    expression: ['Content-Encoding'],
  });
});

t.test('request codings: the answers the admin API gives (platform/request-decoding.ts)', async (t) => {
  const { app } = await testApp();
  const post = (encoding: string, payload: Buffer | string) =>
    app.inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: { ...fhirJson, 'content-encoding': encoding },
      payload,
    });
  const order = (n: string) => JSON.stringify(supplyRequest({ order: `ORD-CODING-${n}` }));
  t.equal((await post('deflate', deflateSync(order('1')))).statusCode, 201, 'deflate is inflated');
  // the plugin refused identity unless its list named it: a 415 for a body sent as it is
  t.equal((await post('identity', order('2'))).statusCode, 201, 'identity is the body as it is');
  // RFC 9110 §8.4.1: codings are case-insensitive, and x-gzip is gzip
  t.equal((await post('GZIP', gzipSync(order('4')))).statusCode, 201, 'GZIP is gzip');
  t.equal((await post(' Deflate', deflateSync(order('5')))).statusCode, 201, 'Deflate is deflate');
  t.equal((await post('x-gzip', gzipSync(order('6')))).statusCode, 201, 'x-gzip is gzip');
  const brotli = await post('br', brotliCompressSync(order('3')));
  t.equal(brotli.statusCode, 415);
  t.match(brotli.json().issue[0], {
    code: 'not-supported',
    diagnostics:
      'The request body could not be decompressed: Content-Encoding "br" is not supported; send the body as it is, or gzip or deflate it',
    expression: ['Content-Encoding'],
  });
});

t.test('authentication is on by default', async (t) => {
  const { app } = await testApp();
  const none = await app.inject({ method: 'GET', url: '/fhir/Location' });
  t.equal(none.statusCode, 401);
  t.equal(none.json().issue[0].code, 'login');
  t.match(none.headers['www-authenticate'], /Basic/);
  const wrong = await app.inject({
    method: 'GET',
    url: '/fhir/Location',
    headers: { authorization: `Basic ${Buffer.from('openhim:nope').toString('base64')}` },
  });
  t.equal(wrong.statusCode, 401);
  const right = await app.inject({ method: 'GET', url: '/fhir/Location', headers: { authorization: basicAuth } });
  t.equal(right.statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health is open');
  t.equal((await app.inject({ method: 'GET', url: '/fhir/metadata' })).statusCode, 200, 'metadata is open');
});

t.test('/health is open with a query string too (a probe adding a cache-buster); nothing else opens', async (t) => {
  const { app } = await testApp();
  for (const url of ['/health?x=1', '/health?', '/fhir/metadata?_format=json']) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, `${url} is open`);
  }
  for (const url of [
    '/ready?x=1',
    '/metrics?x=1',
    '/health/x',
    '/healthz',
    '/health%3Fx=1',
    '/fhir/Location?x=/health?',
  ]) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 401, `${url} takes credentials`);
  }
});
