/**
 * The bad-input table (issue 9, items 9, 10 and 12): each row is one distinct way to get a request
 * wrong, with the status, the diagnostics and the FHIRPath (or HTTP part) its OperationOutcome must
 * name. Rows are built against a running rig (its facility ids and base URL).
 */
import {
  DELIVERY_NUMBER_TYPE,
  EXT,
  ORDER_NUMBER_SYSTEM,
  ORDER_NUMBER_TYPE,
  PROGRAM_SYSTEM,
  UNIT_SYSTEM,
} from '../../src/fhir/conventions.js';
import { GTIN, gtinOf } from './openlmis-e2e.js';

export interface CaseEnv {
  /** http://127.0.0.1:port (the mediator). */
  url: string;
  /** The FHIR base the mediator announces (R4), for absolute references. */
  base: string;
  facilityId: string;
  /** The Authorization header value the rig accepts. */
  authorization: string;
  /** Raw HTTP/1.1 exchange on a fresh socket (for what fetch cannot send). */
  rawHttp(
    request: string | Buffer,
    opts?: { drip?: { bytes: string; everyMs: number } },
  ): Promise<{ status: number; body: string }>;
}

export interface BadCase {
  name: string;
  method?: string;
  url?: string;
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** Skip the default Authorization header. */
  noAuth?: boolean;
  /** Refused by the connector (OpenLMIS's rules), after the outbox recorded the write: it leaves the record of a refused job. */
  viaConnector?: boolean;
  /** A raw socket exchange instead of fetch. */
  send?: () => Promise<{ status: number; body: string }>;
  status: number;
  diagnostics: RegExp;
  expression: string;
}

const clone = <T>(v: T): T => structuredClone(v);
const pack = (value: number) => ({ value, unit: 'pack', system: UNIT_SYSTEM, code: 'pack' });
const units = (value: number) => ({ value, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' });

export function badInputCases(env: CaseEnv): BadCase[] {
  const { facilityId, base } = env;
  const amx = gtinOf('EM-AMX250');
  const order = (n = 'BAD-1') => ({
    resourceType: 'SupplyRequest',
    identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: 'https://mobile.example.org/orders', value: n }],
    status: 'active',
    priority: 'routine',
    category: { coding: [{ system: PROGRAM_SYSTEM, code: 'EM01' }] },
    itemCodeableConcept: { coding: [{ system: GTIN, code: amx }] },
    quantity: units(300),
    authoredOn: '2026-11-20T08:00:00Z',
    deliverTo: { reference: `Location/${facilityId}` },
  });
  const sr = (patch: (r: any) => void, n?: string) => {
    const r: any = order(n);
    patch(r);
    return r;
  };
  const orderR5 = () => {
    const r: any = order();
    r.item = { concept: r.itemCodeableConcept };
    delete r.itemCodeableConcept;
    return r;
  };
  const location = () => ({
    resourceType: 'Location',
    identifier: [{ system: 'https://mfr.example.org/code', value: 'HC-BAD' }],
    status: 'active',
    name: 'Bad Input Clinic',
    mode: 'instance',
    position: { longitude: 30.1, latitude: -1.9 },
  });
  const loc = (patch: (r: any) => void) => {
    const r: any = location();
    patch(r);
    return r;
  };
  const count = () => ({
    resourceType: 'InventoryReport',
    status: 'active',
    countType: 'snapshot',
    reportedDateTime: '2026-11-21T08:30:00Z',
    identifier: [{ system: 'https://mobile.example.org/counts', value: 'COUNT-BAD' }],
    inventoryListing: [
      {
        location: { reference: `Location/${facilityId}` },
        countingDateTime: '2026-11-21T08:30:00Z',
        item: [{ quantity: units(100), item: { concept: { coding: [{ system: GTIN, code: gtinOf('FP-CNDM') }] } } }],
      },
    ],
  });
  const ir = (patch: (r: any) => void) => {
    const r: any = count();
    patch(r);
    return r;
  };
  const adjustment = () => ({
    ...count(),
    countType: 'difference',
    identifier: [{ system: 'https://mobile.example.org/counts', value: 'ADJ-BAD' }],
    operationType: { coding: [{ code: 'subtraction', display: 'subtraction' }] },
    operationTypeReason: { coding: [{ code: 'Damage', display: 'Damage' }] },
  });
  const deliveryR4 = () => ({
    resourceType: 'SupplyDelivery',
    status: 'completed',
    identifier: [
      { type: { coding: [DELIVERY_NUMBER_TYPE] }, system: 'https://lmis.example.org/pod', value: 'POD-BAD' },
    ],
    suppliedItem: { quantity: pack(2), itemCodeableConcept: { coding: [{ system: GTIN, code: amx }] } },
    destination: { reference: `Location/${facilityId}` },
  });
  const sd = (patch: (r: any) => void) => {
    const r: any = deliveryR4();
    patch(r);
    return r;
  };
  const deliveryR5 = () => {
    const r: any = deliveryR4();
    r.type = { coding: [{ system: 'http://hl7.org/fhir/supplydelivery-supplyitemtype', code: 'medication' }] };
    r.suppliedItem = [r.suppliedItem];
    return r;
  };
  const sd5 = (patch: (r: any) => void) => {
    const r: any = deliveryR5();
    patch(r);
    return r;
  };
  const entry = (resource: any, i: number, method = 'POST') => ({
    fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    resource,
    request: { method, url: resource.resourceType },
  });
  const tx = (resources: any[], type = 'transaction') => ({
    resourceType: 'Bundle',
    type,
    entry: resources.map((r, i) => entry(r, i)),
  });
  const txWith = (patch: (b: any) => void, resources: any[] = [order()]) => {
    const b: any = tx(resources);
    patch(b);
    return b;
  };
  const json = JSON.stringify(order());
  const withText = (find: string, replace: string) => {
    if (!json.includes(find)) throw new Error(`case setup: ${find} not in the order`);
    return json.replace(find, replace);
  };
  const strict = { prefer: 'handling=strict' };
  const post = (
    name: string,
    url: string,
    body: unknown,
    status: number,
    expression: string,
    diagnostics: RegExp,
    extra: Partial<BadCase> = {},
  ): BadCase => ({ name, url, body, status, expression, diagnostics, ...extra });
  const order400 = (name: string, patch: (r: any) => void, expression: string, diagnostics: RegExp) =>
    post(name, '/fhir/SupplyRequest', sr(patch), 400, expression, diagnostics);
  const order422 = (name: string, patch: (r: any) => void, expression: string, diagnostics: RegExp) =>
    post(name, '/fhir/SupplyRequest', sr(patch), 422, expression, diagnostics);
  const get = (
    name: string,
    url: string,
    status: number,
    expression: string,
    diagnostics: RegExp,
    headers?: Record<string, string>,
  ): BadCase => ({ name, method: 'GET', url, status, expression, diagnostics, headers });
  const viaConnector = (c: BadCase): BadCase => ({ ...c, viaConnector: true });
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  return [
    // ── the body as JSON ────────────────────────────────────────────────────────────────
    {
      name: 'malformed JSON',
      url: '/fhir/SupplyRequest',
      raw: '{"resourceType": "SupplyRequest",',
      status: 400,
      expression: '$this',
      diagnostics: /not valid JSON/,
    },
    { name: 'empty body', url: '/fhir/SupplyRequest', raw: '', status: 400, expression: '$this', diagnostics: /empty/ },
    {
      name: 'whitespace-only body',
      url: '/fhir/SupplyRequest',
      raw: '  \n ',
      status: 400,
      expression: '$this',
      diagnostics: /empty/,
    },
    {
      name: 'a JSON array',
      url: '/fhir/SupplyRequest',
      raw: '[{"resourceType":"SupplyRequest"}]',
      status: 400,
      expression: '$this',
      diagnostics: /JSON object/,
    },
    {
      name: 'a JSON string',
      url: '/fhir/SupplyRequest',
      raw: '"SupplyRequest"',
      status: 400,
      expression: '$this',
      diagnostics: /JSON object/,
    },
    {
      name: 'a JSON number',
      url: '/fhir/SupplyRequest',
      raw: '42',
      status: 400,
      expression: '$this',
      diagnostics: /JSON object/,
    },
    {
      name: 'JSON null',
      url: '/fhir/SupplyRequest',
      raw: 'null',
      status: 400,
      expression: '$this',
      diagnostics: /JSON object/,
    },
    {
      name: 'trailing garbage after the JSON',
      url: '/fhir/SupplyRequest',
      raw: `${json} x`,
      status: 400,
      expression: '$this',
      diagnostics: /not valid JSON/,
    },
    {
      name: 'duplicate key at the root',
      url: '/fhir/SupplyRequest',
      raw: withText('"status":"active"', '"status":"active","status":"draft"'),
      status: 400,
      expression: 'SupplyRequest.status',
      diagnostics: /twice/,
    },
    {
      name: 'duplicate key in the quantity',
      url: '/fhir/SupplyRequest',
      raw: withText('"value":300', '"value":300,"value":3'),
      status: 400,
      expression: 'SupplyRequest.quantity.value',
      diagnostics: /twice/,
    },
    {
      name: 'duplicate key in an array item',
      url: '/fhir/SupplyRequest',
      raw: withText('"value":"BAD-1"', '"value":"BAD-1","value":"BAD-2"'),
      status: 400,
      expression: 'SupplyRequest.identifier[0].value',
      diagnostics: /twice/,
    },
    {
      name: 'duplicate deliverTo object',
      url: '/fhir/SupplyRequest',
      raw: withText('"deliverTo":', '"deliverTo":{"reference":"Location/x"},"deliverTo":'),
      status: 400,
      expression: 'SupplyRequest.deliverTo',
      diagnostics: /twice/,
    },
    {
      name: 'duplicate key written with an escape',
      url: '/fhir/SupplyRequest',
      raw: withText('"priority":"routine"', '"priority":"routine","\\u0070riority":"stat"'),
      status: 400,
      expression: 'SupplyRequest.priority',
      diagnostics: /twice/,
    },
    {
      name: 'duplicate key inside a Bundle entry',
      url: '/fhir',
      raw: JSON.stringify(tx([order()])).replace('"status":"active"', '"status":"active","status":"draft"'),
      status: 400,
      expression: 'Bundle.entry[0].resource.status',
      diagnostics: /twice/,
    },
    {
      name: 'lone high surrogate',
      url: '/fhir/SupplyRequest',
      raw: withText('"authoredOn"', '"requester":{"display":"Nurse \\ud800"},"authoredOn"'),
      status: 400,
      expression: 'SupplyRequest.requester.display',
      diagnostics: /surrogate/,
    },
    {
      name: 'lone low surrogate',
      url: '/fhir/SupplyRequest',
      raw: withText('"value":"BAD-1"', '"value":"BAD-\\udc001"'),
      status: 400,
      expression: 'SupplyRequest.identifier[0].value',
      diagnostics: /surrogate/,
    },
    {
      name: 'surrogate pair reversed',
      url: '/fhir/SupplyRequest',
      raw: withText('"value":"BAD-1"', '"value":"\\udc00\\ud800"'),
      status: 400,
      expression: 'SupplyRequest.identifier[0].value',
      diagnostics: /surrogate/,
    },
    {
      name: 'NUL in a value',
      url: '/fhir/SupplyRequest',
      raw: withText('"value":"BAD-1"', '"value":"BAD\\u00001"'),
      status: 400,
      expression: 'SupplyRequest.identifier[0].value',
      diagnostics: /NUL/,
    },
    {
      name: 'NUL in a key',
      url: '/fhir/SupplyRequest',
      raw: withText('"priority"', '"prio\\u0000rity"'),
      status: 400,
      expression: 'SupplyRequest',
      diagnostics: /NUL/,
    },
    {
      name: 'NUL in an order number inside a Bundle',
      url: '/fhir',
      raw: JSON.stringify(tx([order()])).replace('"value":"BAD-1"', '"value":"BAD\\u00001"'),
      status: 400,
      expression: 'Bundle.entry[0].resource.identifier[0].value',
      diagnostics: /NUL/,
    },
    {
      name: 'invalid UTF-8 byte 0xFF',
      url: '/fhir/SupplyRequest',
      raw: bytes(json.slice(0, 20), [0xff], json.slice(20)),
      status: 400,
      expression: '$this',
      diagnostics: /UTF-8.*offset 20/,
    },
    {
      name: 'overlong UTF-8 encoding',
      url: '/fhir/SupplyRequest',
      raw: bytes(withText('"value":"BAD-1"', '"value":"BAD-'), [0xc0, 0xaf], '"}]'),
      status: 400,
      expression: '$this',
      diagnostics: /UTF-8/,
    },
    {
      name: 'truncated UTF-8 sequence',
      url: '/fhir/SupplyRequest',
      raw: bytes(json.slice(0, -2), [0xe2, 0x82], '}'),
      status: 400,
      expression: '$this',
      diagnostics: /UTF-8/,
    },
    {
      name: 'UTF-8 encoded surrogate (CESU)',
      url: '/fhir/SupplyRequest',
      raw: bytes(json.slice(0, 30), [0xed, 0xa0, 0x80], json.slice(30)),
      status: 400,
      expression: '$this',
      diagnostics: /UTF-8/,
    },
    {
      name: 'UTF-16 body',
      url: '/fhir/SupplyRequest',
      raw: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]),
      status: 400,
      expression: '$this',
      diagnostics: /UTF-8/,
    },
    {
      name: '__proto__ key',
      url: '/fhir/SupplyRequest',
      raw: withText('"priority"', '"__proto__":{"admin":true},"priority"'),
      status: 400,
      expression: 'SupplyRequest.__proto__',
      diagnostics: /not a FHIR element/,
    },
    {
      name: 'constructor key nested',
      url: '/fhir/SupplyRequest',
      raw: withText('"unit":"dispensing unit"', '"constructor":{"prototype":{}},"unit":"dispensing unit"'),
      status: 400,
      expression: 'SupplyRequest.quantity.constructor',
      diagnostics: /not a FHIR element/,
    },
    {
      name: 'nested too deep',
      url: '/fhir/SupplyRequest',
      raw: `${'{"a":'.repeat(60)}1${'}'.repeat(60)}`,
      status: 400,
      expression:
        '$this.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a',
      diagnostics: /deeper than 48 levels/,
    },
    {
      name: 'array too long',
      url: '/fhir/SupplyRequest',
      body: sr((r) => {
        r.identifier = Array.from({ length: 6000 }, (_, i) => ({ value: String(i) }));
      }),
      status: 413,
      expression: 'SupplyRequest.identifier',
      diagnostics: /6000 items exceeds the limit of 5000/,
    },
    {
      name: '150,000 unknown keys',
      url: '/fhir/SupplyRequest',
      raw: JSON.stringify(
        Object.assign(order(), Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`k${i}`, 1]))),
      ),
      status: 400,
      expression: 'SupplyRequest',
      diagnostics: /has more than 256 keys; no FHIR element has that many/,
    },
    {
      name: '200 unknown keys',
      url: '/fhir/SupplyRequest',
      body: Object.assign(order(), Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 1]))),
      status: 400,
      expression: 'SupplyRequest.k0',
      diagnostics: /Unknown element 'k0'/,
    },
    {
      name: 'body over the size limit',
      url: '/fhir/SupplyRequest',
      raw: JSON.stringify(
        sr((r) => {
          r.text = 'x'.repeat(6 * 1024 * 1024);
        }),
      ),
      status: 413,
      expression: '$this',
      diagnostics: /larger than the configured limit/,
    },

    // ── media types and encodings ───────────────────────────────────────────────────────
    {
      name: 'XML body',
      url: '/fhir/SupplyRequest',
      raw: '<SupplyRequest/>',
      headers: { 'content-type': 'application/fhir+xml' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /FHIR JSON only/,
    },
    {
      name: 'text/plain body',
      url: '/fhir/SupplyRequest',
      raw: json,
      headers: { 'content-type': 'text/plain' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /Unsupported Content-Type/,
    },
    {
      name: 'a charset other than UTF-8',
      url: '/fhir/SupplyRequest',
      raw: json,
      headers: { 'content-type': 'application/fhir+json; charset=iso-8859-1' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /charset iso-8859-1 is not supported/,
    },
    {
      name: 'multipart body',
      url: '/fhir/SupplyRequest',
      raw: '--x\r\n\r\n--x--',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /Unsupported Content-Type/,
    },
    {
      name: 'corrupt gzip body',
      url: '/fhir/SupplyRequest',
      raw: Buffer.from('not gzip at all'),
      headers: { 'content-encoding': 'gzip' },
      status: 400,
      expression: 'Content-Encoding',
      diagnostics: /decompress/,
    },
    {
      name: 'unknown Content-Encoding',
      url: '/fhir/SupplyRequest',
      raw: json,
      headers: { 'content-encoding': 'zstd' },
      status: 415,
      expression: 'Content-Encoding',
      diagnostics: /Content-Encoding/,
    },
    {
      name: 'form body for a create',
      url: '/fhir/SupplyRequest',
      raw: 'status=active',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /POST of a resource takes application\/fhir\+json, got 'application\/x-www-form-urlencoded'/,
    },
    {
      name: 'form body for an update',
      method: 'PUT',
      url: '/fhir/SupplyRequest/form-line-1',
      raw: 'resourceType=SupplyRequest&status=active',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /PUT of a resource takes application\/fhir\+json/,
    },
    {
      name: 'form body for a transaction',
      url: '/fhir',
      raw: 'resourceType=Bundle&type=transaction',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /POST of a resource takes application\/fhir\+json/,
    },
    {
      name: 'a resource sent as a JSON Patch for a create',
      url: '/fhir/SupplyRequest',
      raw: json,
      headers: { 'content-type': 'application/json-patch+json' },
      status: 415,
      expression: 'Content-Type',
      diagnostics: /got 'application\/json-patch\+json'/,
    },
    get('_format=ttl', '/fhir/Location?_format=ttl', 406, '_format', /_format=ttl is not supported/),
    get('_format=xml', '/fhir/Location?_format=xml', 406, '_format', /_format=xml is not supported/),
    get(
      '_format=text/turtle',
      `/fhir/Location?_format=${encodeURIComponent('text/turtle')}`,
      406,
      '_format',
      /not supported/,
    ),
    get('_format=html', '/fhir/SupplyRequest?_format=html', 406, '_format', /not supported/),
    get('Accept XML only', '/fhir/Location', 406, 'Accept', /names no JSON type/, { accept: 'application/fhir+xml' }),
    get('Accept turtle only', '/fhir/Location', 406, 'Accept', /names no JSON type/, { accept: 'text/turtle' }),

    // ── schema and required bindings ────────────────────────────────────────────────────
    order400(
      'status outside the value set',
      (r) => {
        r.status = 'shipped';
      },
      'SupplyRequest.status',
      /"shipped" of SupplyRequest.status is not in the required value set/,
    ),
    order400(
      'priority outside the value set',
      (r) => {
        r.priority = 'whenever';
      },
      'SupplyRequest.priority',
      /'whenever' is not in the required value set/,
    ),
    order400(
      'missing quantity',
      (r) => {
        delete r.quantity;
      },
      'SupplyRequest.quantity',
      /quantity/,
    ),
    order400(
      'missing item',
      (r) => {
        delete r.itemCodeableConcept;
      },
      'SupplyRequest.itemCodeableConcept',
      /itemCodeableConcept or itemReference is required/,
    ),
    order400(
      'unknown element',
      (r) => {
        r.colour = 'blue';
      },
      'SupplyRequest.colour',
      /Unknown element 'colour'/,
    ),
    order400(
      'status as an array',
      (r) => {
        r.status = ['active'];
      },
      'SupplyRequest.status',
      /\["active"\] of SupplyRequest.status is not in the required value set|must be string/,
    ),
    order400(
      'quantity.value as a string',
      (r) => {
        r.quantity.value = '100';
      },
      'SupplyRequest.quantity.value',
      /must be number/,
    ),
    order400(
      'quantity.value as a boolean',
      (r) => {
        r.quantity.value = true;
      },
      'SupplyRequest.quantity.value',
      /must be number/,
    ),
    order400(
      'empty string',
      (r) => {
        r.identifier[0].value = '';
      },
      'SupplyRequest.identifier[0].value',
      /Invalid value "" .*no empty or blank strings/,
    ),
    order400(
      'blank string',
      (r) => {
        r.identifier[0].value = '   ';
      },
      'SupplyRequest.identifier[0].value',
      /empty/,
    ),
    order400(
      'empty array',
      (r) => {
        r.supplier = [];
      },
      'SupplyRequest.supplier',
      /empty array/,
    ),
    order400(
      'null value',
      (r) => {
        r.requester = null;
      },
      'SupplyRequest.requester',
      /null/,
    ),
    order400(
      'empty object',
      (r) => {
        r.category = {};
      },
      'SupplyRequest.category',
      /empty object/,
    ),
    order400(
      'R5 item shape on the R4 base',
      (r) => {
        r.item = { concept: r.itemCodeableConcept };
        delete r.itemCodeableConcept;
      },
      'SupplyRequest.item',
      /Unknown element 'item'/,
    ),
    post(
      'R4 item shape on the R5 base',
      '/fhir/R5/SupplyRequest',
      order(),
      400,
      'SupplyRequest.itemCodeableConcept',
      /Unknown element 'itemCodeableConcept'/,
    ),
    post(
      'body type differs from the URL',
      '/fhir/SupplyRequest',
      location(),
      400,
      'resourceType',
      /is a Location but the URL is for SupplyRequest/,
    ),
    post(
      'no resourceType',
      '/fhir/SupplyRequest',
      { status: 'active' },
      400,
      'resourceType',
      /resourceType is missing/,
    ),
    post(
      'resourceType not a string',
      '/fhir/SupplyRequest',
      { resourceType: 7 },
      400,
      'resourceType',
      /resourceType is missing/,
    ),

    // ── dates and periods ───────────────────────────────────────────────────────────────
    order400(
      'authoredOn 2026-02-30',
      (r) => {
        r.authoredOn = '2026-02-30';
      },
      'SupplyRequest.authoredOn',
      /not a real calendar date/,
    ),
    order400(
      'authoredOn 2025-02-29 (not a leap year)',
      (r) => {
        r.authoredOn = '2025-02-29T10:00:00Z';
      },
      'SupplyRequest.authoredOn',
      /not a real calendar date/,
    ),
    order400(
      'authoredOn 2026-04-31',
      (r) => {
        r.authoredOn = '2026-04-31';
      },
      'SupplyRequest.authoredOn',
      /not a real calendar date/,
    ),
    order400(
      'authoredOn month 13',
      (r) => {
        r.authoredOn = '2026-13-01';
      },
      'SupplyRequest.authoredOn',
      /calendar|format/,
    ),
    order400(
      'authoredOn hour 24',
      (r) => {
        r.authoredOn = '2026-11-20T24:30:00Z';
      },
      'SupplyRequest.authoredOn',
      /calendar|format/,
    ),
    order400(
      'authoredOn zone +15:00',
      (r) => {
        r.authoredOn = '2026-11-20T08:00:00+15:00';
      },
      'SupplyRequest.authoredOn',
      /calendar|format/,
    ),
    order400(
      'authoredOn with a time but no zone',
      (r) => {
        r.authoredOn = '2026-11-20T08:00:00';
      },
      'SupplyRequest.authoredOn',
      /no timezone|format/,
    ),
    order400(
      'authoredOn not a date',
      (r) => {
        r.authoredOn = 'yesterday';
      },
      'SupplyRequest.authoredOn',
      /format/,
    ),
    order400(
      'period ending before it starts',
      (r) => {
        r.occurrencePeriod = { start: '2026-12-01', end: '2026-11-01' };
      },
      'SupplyRequest.occurrencePeriod.end',
      /before .*start.*per-1/,
    ),
    order400(
      'period ending an hour before it starts',
      (r) => {
        r.occurrencePeriod = { start: '2026-12-01T10:00:00Z', end: '2026-12-01T09:00:00Z' };
      },
      'SupplyRequest.occurrencePeriod.end',
      /per-1/,
    ),
    order400(
      'period start 2026-02-30',
      (r) => {
        r.occurrencePeriod = { start: '2026-02-30', end: '2026-03-31' };
      },
      'SupplyRequest.occurrencePeriod.start',
      /not a real calendar date/,
    ),
    order400(
      'period end 2026-06-31',
      (r) => {
        r.occurrencePeriod = { start: '2026-06-01', end: '2026-06-31' };
      },
      'SupplyRequest.occurrencePeriod.end',
      /not a real calendar date/,
    ),
    post(
      '$validate with an impossible date',
      '/fhir/SupplyRequest/$validate',
      sr((r) => {
        r.authoredOn = '2026-02-30';
      }),
      400,
      'SupplyRequest.authoredOn',
      /not a real calendar date/,
    ),
    post(
      '$validate with a modifier extension',
      '/fhir/SupplyRequest/$validate',
      sr((r) => {
        r.modifierExtension = [{ url: 'http://example.org/do-not-deliver', valueBoolean: true }];
      }),
      400,
      'SupplyRequest.modifierExtension[0]',
      /modifier extension/,
    ),

    // ── extensions ──────────────────────────────────────────────────────────────────────
    order400(
      'unknown modifierExtension',
      (r) => {
        r.modifierExtension = [{ url: 'http://example.org/do-not-deliver', valueBoolean: true }];
      },
      'SupplyRequest.modifierExtension[0]',
      /modifier extension .* does not understand/,
    ),
    order400(
      'second modifierExtension',
      (r) => {
        r.modifierExtension = [
          { url: 'http://example.org/a', valueBoolean: false },
          { url: 'http://example.org/b', valueCode: 'x' },
        ];
      },
      'SupplyRequest.modifierExtension[1]',
      /modifier extension/,
    ),
    order400(
      'extension without url',
      (r) => {
        r.extension = [{ valueString: 'x' }];
      },
      'SupplyRequest.extension[0].url',
      /url is required/,
    ),
    order400(
      'extension without url in the quantity',
      (r) => {
        r.quantity.extension = [{ valueString: 'x' }];
      },
      'SupplyRequest.quantity.extension[0].url',
      /url is required/,
    ),
    order400(
      'extension without url in deliverTo',
      (r) => {
        r.deliverTo.extension = [{ valueCode: 'x' }];
      },
      'SupplyRequest.deliverTo.extension[0].url',
      /url is required/,
    ),
    order400(
      'extension with neither value nor extensions',
      (r) => {
        r.extension = [{ url: 'http://example.org/x' }];
      },
      'SupplyRequest.extension[0]',
      /neither.*ext-1/,
    ),
    order400(
      'extension with both value and extensions',
      (r) => {
        r.extension = [{ url: 'http://example.org/x', valueString: 'a', extension: [{ url: 'y', valueString: 'b' }] }];
      },
      'SupplyRequest.extension[0]',
      /both.*ext-1/,
    ),
    order400(
      'extension url as a number',
      (r) => {
        r.extension = [{ url: 5, valueString: 'x' }];
      },
      'SupplyRequest.extension[0].url',
      /must be string|url is required/,
    ),
    order400(
      'a decimal where an integer belongs (an app field valueInteger 1.5)',
      (r) => {
        r.extension = [{ url: 'http://app.example.org/fhir/StructureDefinition/boxes', valueInteger: 1.5 }];
      },
      'SupplyRequest.extension[0].valueInteger',
      /1\.5 is not a whole number: integer takes whole numbers/,
    ),
    order400(
      'a positiveInt of 0 (occurrenceTiming.repeat.count)',
      (r) => {
        r.occurrenceTiming = { repeat: { count: 0, frequency: 1, period: 1, periodUnit: 'wk' } };
      },
      'SupplyRequest.occurrenceTiming.repeat.count',
      /0 is out of range: positiveInt takes whole numbers from 1/,
    ),

    // ── quantities: counts are exact whole numbers of a count unit ─────────────────────
    order422(
      'zero quantity',
      (r) => {
        r.quantity.value = 0;
      },
      'SupplyRequest.quantity.value',
      /greater than 0/,
    ),
    order422(
      'negative quantity',
      (r) => {
        r.quantity.value = -5;
      },
      'SupplyRequest.quantity.value',
      /greater than 0/,
    ),
    order422(
      '0.5 dispensing units',
      (r) => {
        r.quantity.value = 0.5;
      },
      'SupplyRequest.quantity.value',
      /0\.5 is not a whole number of dispensing units/,
    ),
    order422(
      '2.5 packs',
      (r) => {
        r.quantity = pack(2.5);
      },
      'SupplyRequest.quantity.value',
      /2\.5 is not a whole number of packs/,
    ),
    order422(
      '1e308 dispensing units',
      (r) => {
        r.quantity.value = 1e308;
      },
      'SupplyRequest.quantity.value',
      /not a whole number .* within ±9007199254740991/,
    ),
    {
      name: '9007199254740993 (read as …992)',
      url: '/fhir/SupplyRequest',
      raw: withText('"value":300', '"value":9007199254740993'),
      status: 422,
      expression: 'SupplyRequest.quantity.value',
      diagnostics: /9007199254740992 is not a whole number/,
    },
    order422(
      '2^53 dispensing units',
      (r) => {
        r.quantity.value = 9007199254740992;
      },
      'SupplyRequest.quantity.value',
      /within ±9007199254740991/,
    ),
    {
      name: '1.0e400 (beyond double)',
      url: '/fhir/SupplyRequest',
      raw: withText('"value":300', '"value":1.0e400'),
      status: 422,
      expression: 'SupplyRequest.quantity.value',
      diagnostics: /Infinity is not a whole number/,
    },
    order422(
      '1e-7 dispensing units',
      (r) => {
        r.quantity.value = 1e-7;
      },
      'SupplyRequest.quantity.value',
      /not a whole number/,
    ),
    order422(
      '< comparator',
      (r) => {
        r.quantity.comparator = '<';
      },
      'SupplyRequest.quantity.comparator',
      /comparator '<' makes the quantity a bound/,
    ),
    order422(
      '>= comparator',
      (r) => {
        r.quantity.comparator = '>=';
      },
      'SupplyRequest.quantity.comparator',
      /comparator '>='/,
    ),
    order400(
      'comparator outside its value set',
      (r) => {
        r.quantity.comparator = '~';
      },
      'SupplyRequest.quantity.comparator',
      /must be one of|value set|comparator/,
    ),
    order422(
      'UCUM mg',
      (r) => {
        r.quantity = { value: 500, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' };
      },
      'SupplyRequest.quantity.code',
      /'mg' is a UCUM unit of measure, not a count/,
    ),
    order422(
      'UCUM mL',
      (r) => {
        r.quantity = { value: 5, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' };
      },
      'SupplyRequest.quantity.code',
      /'mL' is a UCUM unit/,
    ),
    order422(
      'UCUM kg',
      (r) => {
        r.quantity = { value: 1, system: 'http://unitsofmeasure.org', code: 'kg' };
      },
      'SupplyRequest.quantity.code',
      /'kg' is a UCUM unit/,
    ),
    order422(
      'unit system not understood',
      (r) => {
        r.quantity = { value: 10, system: 'http://snomed.info/sct', code: '732936001' };
      },
      'SupplyRequest.quantity.system',
      /not a unit system this server converts/,
    ),
    order422(
      'unit code without a system',
      (r) => {
        r.quantity = { value: 10, code: 'tablet' };
      },
      'SupplyRequest.quantity.system',
      /without .*system \(qty-3\)/,
    ),
    order422(
      'free-text unit mg',
      (r) => {
        r.quantity = { value: 10, unit: 'mg' };
      },
      'SupplyRequest.quantity.unit',
      /'mg' is a unit of measure, not a count/,
    ),
    order422(
      'unit code outside our code system',
      (r) => {
        r.quantity.code = 'crate';
      },
      'SupplyRequest.quantity.code',
      /must be 'pack' or 'dispensing-unit'/,
    ),

    // ── references ──────────────────────────────────────────────────────────────────────
    order400(
      'deliverTo on another server',
      (r) => {
        r.deliverTo.reference = `http://evil.example.org/fhir/Location/${facilityId}`;
      },
      'SupplyRequest.deliverTo.reference',
      /points to another server/,
    ),
    order400(
      'deliverTo on a host that extends ours',
      (r) => {
        r.deliverTo.reference = `${base}.evil.example.org/Location/${facilityId}`;
      },
      'SupplyRequest.deliverTo.reference',
      /another server/,
    ),
    order400(
      'deliverTo with ../',
      (r) => {
        r.deliverTo.reference = `../Location/${facilityId}`;
      },
      'SupplyRequest.deliverTo.reference',
      /not a FHIR reference/,
    ),
    order400(
      'deliverTo with /../ inside',
      (r) => {
        r.deliverTo.reference = `Patient/../Location/${facilityId}`;
      },
      'SupplyRequest.deliverTo.reference',
      /not a FHIR reference/,
    ),
    order400(
      'deliverTo on our base with ../',
      (r) => {
        r.deliverTo.reference = `${base}/Patient/../Location/${facilityId}`;
      },
      'SupplyRequest.deliverTo.reference',
      /dot segments/,
    ),
    order400(
      'deliverTo with ./',
      (r) => {
        r.deliverTo.reference = `./Location/${facilityId}`;
      },
      'SupplyRequest.deliverTo.reference',
      /not a FHIR reference/,
    ),
    order400(
      'deliverTo with a space',
      (r) => {
        r.deliverTo.reference = `Location/ ${facilityId}`;
      },
      'SupplyRequest.deliverTo.reference',
      /not a FHIR reference/,
    ),
    order400(
      'deliverTo without an id',
      (r) => {
        r.deliverTo.reference = 'Location/';
      },
      'SupplyRequest.deliverTo.reference',
      /not a FHIR reference/,
    ),
    order400(
      'deliverTo with an invalid id',
      (r) => {
        r.deliverTo.reference = 'Location/a_b';
      },
      'SupplyRequest.deliverTo.reference',
      /not a FHIR reference/,
    ),
    order400(
      'deliverTo with extra segments',
      (r) => {
        r.deliverTo.reference = `Location/${facilityId}/extra`;
      },
      'SupplyRequest.deliverTo.reference',
      /not a FHIR reference/,
    ),
    order400(
      'deliverFrom on another server',
      (r) => {
        r.deliverFrom = { reference: 'https://other.example.org/fhir/Location/WH' };
      },
      'SupplyRequest.deliverFrom.reference',
      /another server/,
    ),
    order422(
      'deliverTo not a Location',
      (r) => {
        r.deliverTo.reference = 'Patient/1';
      },
      'SupplyRequest.deliverTo.reference',
      /must point to a Location/,
    ),
    order422(
      'deliverTo a urn:uuid not in a Bundle',
      (r) => {
        r.deliverTo.reference = 'urn:uuid:6b8e3a56-63a5-4a3c-a8f2-6a5c1f1f1f1f';
      },
      'SupplyRequest.deliverTo.reference',
      /must point to a Location/,
    ),
    order422(
      'no deliverTo',
      (r) => {
        delete r.deliverTo;
      },
      'SupplyRequest.deliverTo',
      /deliverTo is required/,
    ),
    order422(
      'deliverTo with display only',
      (r) => {
        r.deliverTo = { display: 'somewhere' };
      },
      'SupplyRequest.deliverTo',
      /deliverTo is required/,
    ),

    // ── identifiers ─────────────────────────────────────────────────────────────────────
    order422(
      'two different order numbers',
      (r) => {
        r.identifier.push({
          type: { coding: [ORDER_NUMBER_TYPE] },
          system: 'https://mobile.example.org/orders',
          value: 'BAD-2',
        });
      },
      'SupplyRequest.identifier[1]',
      /two different order numbers \('BAD-1' and 'BAD-2'\)/,
    ),
    order422(
      'typed number and a different default-system number',
      (r) => {
        r.identifier.push({ system: ORDER_NUMBER_SYSTEM, value: 'OTHER' });
      },
      'SupplyRequest.identifier[1]',
      /two different order numbers/,
    ),
    order422(
      'no order number and no id',
      (r) => {
        delete r.identifier;
      },
      'SupplyRequest.identifier',
      /needs the order number/,
    ),
    order422(
      'product without a code system',
      (r) => {
        delete r.itemCodeableConcept.coding[0].system;
      },
      'SupplyRequest.itemCodeableConcept',
      /needs a coding with a system and a code/,
    ),
    order422(
      'product given as text only',
      (r) => {
        r.itemCodeableConcept = { text: 'Amoxicillin' };
      },
      'SupplyRequest.itemCodeableConcept',
      /needs a coding/,
    ),

    // ── refused by OpenLMIS's rules (the connector), named in the posted resource's terms ──
    viaConnector(
      order422(
        'deliverTo a facility OpenLMIS does not know',
        (r) => {
          r.deliverTo.reference = 'Location/00000000-0000-4000-8000-00000000dead';
        },
        'SupplyRequest.deliverTo',
        /not an OpenLMIS facility/,
      ),
    ),
    viaConnector(
      order422(
        'product not mapped to an orderable',
        (r) => {
          r.itemCodeableConcept.coding[0].code = '09999999999999';
        },
        'SupplyRequest.itemCodeableConcept',
        /is not in products\.json: no row carries that code \(add the product, with codes\.openlmis\)/,
      ),
    ),
    viaConnector(
      order422(
        'product outside the program',
        (r) => {
          r.itemCodeableConcept.coding[0].code = gtinOf('FP-CNDM');
        },
        'SupplyRequest.itemCodeableConcept',
        /not in program EM01/,
      ),
    ),
    viaConnector(
      order422(
        'program OpenLMIS does not have',
        (r) => {
          r.category.coding[0].code = 'NOPE';
        },
        'SupplyRequest.category',
        /program NOPE does not exist/,
      ),
    ),
    viaConnector(
      post(
        'transaction whose second line is not mapped',
        '/fhir',
        tx([
          order(),
          sr((r) => {
            r.itemCodeableConcept.coding[0].code = '09999999999999';
          }),
        ]),
        422,
        'Bundle.entry[1].resource.itemCodeableConcept',
        /is not in products\.json/,
      ),
    ),
    viaConnector(
      post(
        'transaction whose second line is outside the program',
        '/fhir',
        tx([
          order(),
          sr((r) => {
            r.itemCodeableConcept.coding[0].code = gtinOf('FP-LNG30');
          }),
        ]),
        422,
        'Bundle.entry[1].resource.itemCodeableConcept',
        /not in program EM01/,
      ),
    ),
    viaConnector(
      post(
        'stock adjustment with an unknown reason',
        '/fhir/R5/InventoryReport',
        (() => {
          const r: any = adjustment();
          r.operationTypeReason = { coding: [{ code: 'Nonsense' }] };
          return r;
        })(),
        422,
        'InventoryReport.operationTypeReason',
        /reason 'Nonsense' is not valid here/,
      ),
    ),
    viaConnector(
      post(
        'stock adjustment line with an unknown reason',
        '/fhir/R5/InventoryReport',
        (() => {
          const r: any = adjustment();
          delete r.operationTypeReason;
          r.inventoryListing[0].item[0].extension = [{ url: EXT.stockReason, valueCoding: { code: 'Nonsense' } }];
          return r;
        })(),
        422,
        'InventoryReport.inventoryListing[0].item[0].extension[0]',
        /reason 'Nonsense' is not valid here/,
      ),
    ),
    viaConnector(
      post(
        'stock count at a facility OpenLMIS does not know',
        '/fhir/R5/InventoryReport',
        ir((r) => {
          r.inventoryListing[0].location.reference = 'Location/00000000-0000-4000-8000-00000000dead';
        }),
        422,
        'InventoryReport.inventoryListing[0].location',
        /not an OpenLMIS facility/,
      ),
    ),
    viaConnector(
      post(
        'stock count of an unmapped product',
        '/fhir/R5/InventoryReport',
        ir((r) => {
          r.inventoryListing[0].item[0].item.concept.coding[0].code = '09999999999999';
        }),
        422,
        'InventoryReport.inventoryListing[0].item[0].item.concept',
        /is not in products\.json/,
      ),
    ),
    viaConnector(
      post(
        'stock count of an unknown lot',
        '/fhir/R5/InventoryReport',
        ir((r) => {
          r.inventoryListing[0].item[0].extension = [{ url: EXT.lotNumber, valueString: 'NO-SUCH-LOT' }];
        }),
        422,
        'InventoryReport.inventoryListing[0].item[0].extension[0]',
        /lot NO-SUCH-LOT/,
      ),
    ),
    viaConnector(
      post(
        'delivery of a proof of delivery that does not exist',
        '/fhir/SupplyDelivery',
        deliveryR4(),
        422,
        'SupplyDelivery.identifier',
        /proof/i,
      ),
    ),

    viaConnector(
      post(
        'Location whose type OpenLMIS does not have',
        '/fhir/Location',
        loc((r) => {
          r.type = [{ coding: [{ system: 'http://example.org/facility-type', code: 'spaceport' }] }];
        }),
        422,
        'Location.type',
        /is an OpenLMIS facility type/,
      ),
    ),
    viaConnector(
      post(
        'R5 Location that is an area',
        '/fhir/R5/Location',
        loc((r) => {
          r.form = {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'jdn' }],
          };
        }),
        422,
        'Location.form',
        /geographic zones are not written/,
      ),
    ),
    // ── Location ────────────────────────────────────────────────────────────────────────
    post(
      'latitude 123',
      '/fhir/Location',
      loc((r) => {
        r.position.latitude = 123;
      }),
      400,
      'Location.position.latitude',
      /123 is out of range/,
    ),
    post(
      'latitude -90.5',
      '/fhir/Location',
      loc((r) => {
        r.position.latitude = -90.5;
      }),
      400,
      'Location.position.latitude',
      /out of range/,
    ),
    post(
      'longitude 181',
      '/fhir/Location',
      loc((r) => {
        r.position.longitude = 181;
      }),
      400,
      'Location.position.longitude',
      /181 is out of range/,
    ),
    post(
      'longitude -200',
      '/fhir/Location',
      loc((r) => {
        r.position.longitude = -200;
      }),
      400,
      'Location.position.longitude',
      /out of range/,
    ),
    post(
      'latitude as a string',
      '/fhir/Location',
      loc((r) => {
        r.position.latitude = '12';
      }),
      400,
      'Location.position.latitude',
      /must be number/,
    ),
    post(
      'position without longitude',
      '/fhir/Location',
      loc((r) => {
        delete r.position.longitude;
      }),
      400,
      'Location.position.longitude',
      /required/,
    ),
    post(
      'Location status outside the value set',
      '/fhir/Location',
      loc((r) => {
        r.status = 'closed';
      }),
      400,
      'Location.status',
      /"closed" of Location.status is not in the required value set/,
    ),
    post(
      'Location mode outside the value set',
      '/fhir/Location',
      loc((r) => {
        r.mode = 'building';
      }),
      400,
      'Location.mode',
      /"building"/,
    ),
    post(
      'Location daysOfWeek outside the value set',
      '/fhir/Location',
      loc((r) => {
        r.hoursOfOperation = [{ daysOfWeek: ['someday'] }];
      }),
      400,
      'Location.hoursOfOperation[0].daysOfWeek[0]',
      /'someday'/,
    ),
    post(
      'Location partOf on another server',
      '/fhir/Location',
      loc((r) => {
        r.partOf = { reference: 'http://evil.example.org/fhir/Location/x' };
      }),
      400,
      'Location.partOf.reference',
      /another server/,
    ),
    post(
      'Location with a modifierExtension',
      '/fhir/Location',
      loc((r) => {
        r.modifierExtension = [{ url: 'http://example.org/closed', valueBoolean: true }];
      }),
      400,
      'Location.modifierExtension[0]',
      /modifier extension/,
    ),
    post(
      'Location address period reversed',
      '/fhir/Location',
      loc((r) => {
        r.address = { city: 'Kigali', period: { start: '2026-01-01', end: '2025-01-01' } };
      }),
      400,
      'Location.address.period.end',
      /per-1/,
    ),

    // ── InventoryReport ─────────────────────────────────────────────────────────────────
    post(
      'InventoryReport on the R4 base',
      '/fhir/InventoryReport',
      count(),
      404,
      'type',
      /not supported on this base.*R5/,
    ),
    post(
      'InventoryReport without status',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        delete r.status;
      }),
      400,
      'InventoryReport.status',
      /status/,
    ),
    post(
      'InventoryReport countType outside the value set',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.countType = 'estimate';
      }),
      400,
      'InventoryReport.countType',
      /'estimate'/,
    ),
    post(
      'InventoryReport without reportedDateTime',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        delete r.reportedDateTime;
      }),
      400,
      'InventoryReport.reportedDateTime',
      /reportedDateTime/,
    ),
    post(
      'InventoryReport reportedDateTime 2026-02-30',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.reportedDateTime = '2026-02-30T10:00:00Z';
      }),
      400,
      'InventoryReport.reportedDateTime',
      /not a real calendar date/,
    ),
    post(
      'InventoryReport countingDateTime 2026-06-31',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].countingDateTime = '2026-06-31T10:00:00Z';
      }),
      400,
      'InventoryReport.inventoryListing[0].countingDateTime',
      /not a real calendar date/,
    ),
    post(
      'InventoryReport reportingPeriod reversed',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.reportingPeriod = { start: '2026-11-30', end: '2026-11-01' };
      }),
      400,
      'InventoryReport.reportingPeriod.end',
      /per-1/,
    ),
    post(
      'InventoryReport item without quantity',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        delete r.inventoryListing[0].item[0].quantity;
      }),
      400,
      'InventoryReport.inventoryListing[0].item[0].quantity',
      /quantity/,
    ),
    post(
      'InventoryReport modifierExtension in a listing',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].modifierExtension = [{ url: 'http://example.org/recount', valueBoolean: true }];
      }),
      400,
      'InventoryReport.inventoryListing[0].modifierExtension[0]',
      /modifier extension/,
    ),
    post(
      'InventoryReport location on another server',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].location.reference = `http://evil.example.org/fhir/Location/${facilityId}`;
      }),
      400,
      'InventoryReport.inventoryListing[0].location.reference',
      /another server/,
    ),
    post(
      'InventoryReport negative snapshot',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].item[0].quantity.value = -5;
      }),
      422,
      'InventoryReport.inventoryListing[0].item[0].quantity.value',
      /negative/,
    ),
    post(
      'InventoryReport 0.5 units',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].item[0].quantity.value = 0.5;
      }),
      422,
      'InventoryReport.inventoryListing[0].item[0].quantity.value',
      /not a whole number/,
    ),
    post(
      'InventoryReport 1e308 units',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].item[0].quantity.value = 1e308;
      }),
      422,
      'InventoryReport.inventoryListing[0].item[0].quantity.value',
      /not a whole number/,
    ),
    post(
      'InventoryReport comparator',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].item[0].quantity.comparator = '>';
      }),
      422,
      'InventoryReport.inventoryListing[0].item[0].quantity.comparator',
      /comparator/,
    ),
    post(
      'InventoryReport UCUM mg',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing[0].item[0].quantity = { value: 5, system: 'http://unitsofmeasure.org', code: 'mg' };
      }),
      422,
      'InventoryReport.inventoryListing[0].item[0].quantity.code',
      /UCUM/,
    ),
    post(
      'InventoryReport without listing',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        delete r.inventoryListing;
      }),
      422,
      'InventoryReport.inventoryListing',
      /inventoryListing is required/,
    ),
    post(
      'InventoryReport listings at two locations',
      '/fhir/R5/InventoryReport',
      ir((r) => {
        r.inventoryListing.push({ ...clone(r.inventoryListing[0]), location: { reference: 'Location/other' } });
      }),
      422,
      'InventoryReport.inventoryListing',
      /one location/,
    ),
    post(
      'InventoryReport difference with 2.5 packs',
      '/fhir/R5/InventoryReport',
      (() => {
        const r: any = adjustment();
        r.inventoryListing[0].item[0].quantity = pack(2.5);
        return r;
      })(),
      422,
      'InventoryReport.inventoryListing[0].item[0].quantity.value',
      /2\.5 is not a whole number of packs/,
    ),

    // ── SupplyDelivery ──────────────────────────────────────────────────────────────────
    post(
      'SupplyDelivery status outside the value set',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.status = 'delivered';
      }),
      400,
      'SupplyDelivery.status',
      /"delivered"/,
    ),
    post(
      'SupplyDelivery type outside supply-item-type',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.type = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/supply-item-type', code: 'food' }] };
      }),
      400,
      'SupplyDelivery.type.coding[0].code',
      /'food'/,
    ),
    post(
      'R4 suppliedItem as an array',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.suppliedItem = [r.suppliedItem];
      }),
      400,
      'SupplyDelivery.suppliedItem',
      /single element/,
    ),
    post(
      'SupplyDelivery occurrenceDateTime 2026-11-31',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.occurrenceDateTime = '2026-11-31T10:00:00Z';
      }),
      400,
      'SupplyDelivery.occurrenceDateTime',
      /not a real calendar date/,
    ),
    post(
      'SupplyDelivery destination with ../',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.destination.reference = `../Location/${facilityId}`;
      }),
      400,
      'SupplyDelivery.destination.reference',
      /not a FHIR reference/,
    ),
    post(
      'SupplyDelivery basedOn on another server',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.basedOn = [{ reference: 'http://evil.example.org/fhir/SupplyRequest/x' }];
      }),
      400,
      'SupplyDelivery.basedOn[0].reference',
      /another server/,
    ),
    post(
      'SupplyDelivery rejected without a reason',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.suppliedItem.extension = [{ url: EXT.quantityRejected, valueQuantity: pack(1) }];
      }),
      422,
      'SupplyDelivery.suppliedItem.extension',
      /no rejection reason/,
    ),
    post(
      'SupplyDelivery 2.5 packs accepted',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.suppliedItem.quantity = pack(2.5);
      }),
      422,
      'SupplyDelivery.suppliedItem.quantity.value',
      /2\.5 is not a whole number of packs/,
    ),
    post(
      'SupplyDelivery negative accepted',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.suppliedItem.quantity = pack(-1);
      }),
      422,
      'SupplyDelivery.suppliedItem.quantity.value',
      /must not be negative/,
    ),
    post(
      'SupplyDelivery 0.5 packs rejected',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.suppliedItem.extension = [
          { url: EXT.rejectionReason, valueString: 'Damaged' },
          { url: EXT.quantityRejected, valueQuantity: pack(0.5) },
        ];
      }),
      422,
      'SupplyDelivery.suppliedItem.extension[1].valueQuantity.value',
      /0\.5 is not a whole number of packs/,
    ),
    post(
      'SupplyDelivery comparator',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.suppliedItem.quantity.comparator = '<=';
      }),
      422,
      'SupplyDelivery.suppliedItem.quantity.comparator',
      /comparator/,
    ),
    post(
      'SupplyDelivery two delivery numbers',
      '/fhir/SupplyDelivery',
      sd((r) => {
        r.identifier.push({
          type: { coding: [DELIVERY_NUMBER_TYPE] },
          system: 'https://lmis.example.org/pod',
          value: 'POD-OTHER',
        });
      }),
      422,
      'SupplyDelivery.identifier[1]',
      /two different delivery numbers/,
    ),
    post(
      'SupplyDelivery without destination',
      '/fhir/SupplyDelivery',
      sd((r) => {
        delete r.destination;
      }),
      422,
      'SupplyDelivery.destination',
      /destination is required/,
    ),
    post(
      'R5 SupplyDelivery 1e308 packs',
      '/fhir/R5/SupplyDelivery',
      sd5((r) => {
        r.suppliedItem[0].quantity = pack(1e308);
      }),
      422,
      'SupplyDelivery.suppliedItem[0].quantity.value',
      /not a whole number/,
    ),
    post(
      'R5 SupplyDelivery UCUM g',
      '/fhir/R5/SupplyDelivery',
      sd5((r) => {
        r.suppliedItem[0].quantity = { value: 3, system: 'http://unitsofmeasure.org', code: 'g' };
      }),
      422,
      'SupplyDelivery.suppliedItem[0].quantity.code',
      /UCUM/,
    ),

    // ── Bundles ─────────────────────────────────────────────────────────────────────────
    post(
      'transaction whose entry is an object',
      '/fhir',
      { resourceType: 'Bundle', type: 'transaction', entry: { resource: order() } },
      400,
      'Bundle.entry',
      /must be an array/,
    ),
    post(
      'batch whose entry is a string',
      '/fhir',
      { resourceType: 'Bundle', type: 'batch', entry: 'everything' },
      400,
      'Bundle.entry',
      /must be an array/,
    ),
    post(
      'transaction whose entry is a number',
      '/fhir',
      { resourceType: 'Bundle', type: 'transaction', entry: 3 },
      400,
      'Bundle.entry',
      /must be an array/,
    ),
    post(
      'transaction entry that is a string',
      '/fhir',
      { resourceType: 'Bundle', type: 'transaction', entry: ['x'] },
      400,
      'Bundle.entry[0]',
      /must be an object/,
    ),
    post(
      'batch entry that is null',
      '/fhir',
      { resourceType: 'Bundle', type: 'batch', entry: [entry(order(), 0), null] },
      400,
      'Bundle.entry[1]',
      /must be an object/,
    ),
    post(
      'duplicate fullUrl',
      '/fhir',
      txWith(
        (b) => {
          b.entry[1].fullUrl = b.entry[0].fullUrl;
        },
        [
          order(),
          sr((r) => {
            r.itemCodeableConcept.coding[0].code = gtinOf('EM-ORS');
          }),
        ],
      ),
      400,
      'Bundle.entry[1].fullUrl',
      /also the fullUrl of Bundle.entry\[0\].*bdl-7/,
    ),
    post(
      'fullUrl not a URI',
      '/fhir',
      txWith((b) => {
        b.entry[0].fullUrl = 'not a uri';
      }),
      400,
      'Bundle.entry[0].fullUrl',
      /absolute URI/,
    ),
    post(
      'fullUrl relative',
      '/fhir',
      txWith((b) => {
        b.entry[0].fullUrl = 'SupplyRequest/1';
      }),
      400,
      'Bundle.entry[0].fullUrl',
      /absolute URI/,
    ),
    post(
      'fullUrl a number',
      '/fhir',
      txWith((b) => {
        b.entry[0].fullUrl = 7;
      }),
      400,
      'Bundle.entry[0].fullUrl',
      /absolute URI/,
    ),
    post(
      'entry resource an array',
      '/fhir',
      txWith((b) => {
        b.entry[0].resource = [order()];
      }),
      400,
      'Bundle.entry[0].resource',
      /must be a FHIR resource/,
    ),
    post(
      'entry request a string',
      '/fhir',
      txWith((b) => {
        b.entry[0].request = 'POST SupplyRequest';
      }),
      400,
      'Bundle.entry[0].request',
      /must be an object/,
    ),
    post(
      'entry request.method a number',
      '/fhir',
      txWith((b) => {
        b.entry[0].request.method = 1;
      }),
      400,
      'Bundle.entry[0].request.method',
      /must be a string/,
    ),
    post(
      'entry request.url on another server',
      '/fhir',
      txWith((b) => {
        b.entry[0].request.url = 'http://evil.example.org/fhir/SupplyRequest';
      }),
      400,
      'Bundle.entry[0].request.url',
      /not on this server/,
    ),
    post(
      'transaction entry without request',
      '/fhir',
      txWith((b) => {
        delete b.entry[0].request;
      }),
      400,
      'Bundle.entry[0].request',
      /request with method and url is required/,
    ),
    post(
      'transaction DELETE entry of a delivery line',
      '/fhir',
      txWith((b) => {
        b.entry[0].request = { method: 'DELETE', url: 'SupplyDelivery/x' };
      }),
      405,
      'Bundle.entry[0].request.method',
      /DELETE SupplyDelivery\/x is not supported/,
    ),
    post(
      'transaction DELETE entry of an unknown facility',
      '/fhir',
      txWith((b) => {
        b.entry[0].request = { method: 'DELETE', url: 'Location/x' };
      }),
      404,
      'Bundle.entry[0].request.url',
      /Location\/x is not known/,
    ),
    post(
      'transaction PATCH entry that is not a Binary',
      '/fhir',
      txWith((b) => {
        b.entry[0].request = { method: 'PATCH', url: 'SupplyRequest/x' };
      }),
      400,
      'Bundle.entry[0].resource',
      /must be a Binary holding a JSON Patch/,
    ),
    post(
      'transaction PUT with a different id',
      '/fhir',
      txWith((b) => {
        b.entry[0].request = { method: 'PUT', url: 'SupplyRequest/line-a' };
        b.entry[0].resource.id = 'line-b';
      }),
      400,
      'Bundle.entry[0].resource.id',
      /must equal the id in request.url/,
    ),
    post(
      'transaction with one invalid entry',
      '/fhir',
      tx([
        order(),
        sr((r) => {
          r.status = 'bogus';
          r.itemCodeableConcept.coding[0].code = gtinOf('EM-ORS');
        }),
      ]),
      400,
      'Bundle.entry[1].resource.status',
      /"bogus"/,
    ),
    post(
      'transaction with 0.5 units',
      '/fhir',
      tx([
        sr((r) => {
          r.quantity.value = 0.5;
        }),
      ]),
      422,
      'Bundle.entry[0].resource.quantity.value',
      /not a whole number/,
    ),
    post(
      'transaction with two order numbers on a line',
      '/fhir',
      tx([
        order(),
        sr((r) => {
          r.itemCodeableConcept.coding[0].code = gtinOf('EM-ORS');
          r.identifier.push({
            type: { coding: [ORDER_NUMBER_TYPE] },
            system: 'https://mobile.example.org/orders',
            value: 'BAD-9',
          });
        }),
      ]),
      422,
      'Bundle.entry[1].resource.identifier[1]',
      /two different order numbers/,
    ),
    post(
      'transaction with a foreign deliverTo',
      '/fhir',
      tx([
        sr((r) => {
          r.deliverTo.reference = `https://evil.example.org/fhir/Location/${facilityId}`;
        }),
      ]),
      400,
      'Bundle.entry[0].resource.deliverTo.reference',
      /another server/,
    ),
    post(
      'transaction with a modifierExtension',
      '/fhir',
      tx([
        sr((r) => {
          r.modifierExtension = [{ url: 'http://example.org/x', valueBoolean: true }];
        }),
      ]),
      400,
      'Bundle.entry[0].resource.modifierExtension[0]',
      /modifier extension/,
    ),
    post(
      'transaction lines disagreeing on deliverTo',
      '/fhir',
      tx([
        order(),
        sr((r) => {
          r.itemCodeableConcept.coding[0].code = gtinOf('EM-ORS');
          r.deliverTo.reference = 'Location/elsewhere';
        }),
      ]),
      422,
      'Bundle.entry[1].resource',
      /differs from its other lines/,
    ),
    post(
      'transaction ordering one product twice',
      '/fhir',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          entry(order(), 0),
          {
            ...entry({ ...order(), id: 'other-line' }, 1),
            request: { method: 'PUT', url: 'SupplyRequest/other-line' },
          },
        ],
      },
      422,
      'Bundle.entry[1].resource.itemCodeableConcept',
      /a second time/,
    ),
    post(
      'Bundle of type collection',
      '/fhir',
      { resourceType: 'Bundle', type: 'collection' },
      400,
      'Bundle.type',
      /'batch' or 'transaction'/,
    ),
    post(
      'Bundle without type',
      '/fhir',
      { resourceType: 'Bundle', entry: [] },
      400,
      'Bundle.type',
      /'batch' or 'transaction'/,
    ),
    post('not a Bundle at the base', '/fhir', order(), 400, 'resourceType', /needs a Bundle/),
    post(
      'transaction GET with constructor under strict handling',
      '/fhir',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'GET', url: 'Location?constructor=x' } }],
      },
      400,
      'constructor',
      /Unknown search parameter 'constructor'/,
      { headers: strict },
    ),
    post(
      'transaction GET with __proto__ under strict handling',
      '/fhir',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'GET', url: 'Location?__proto__=x' } }],
      },
      400,
      '__proto__',
      /Unknown search parameter '__proto__'/,
      { headers: strict },
    ),

    post(
      'transaction GET of id ..',
      '/fhir',
      { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: 'Location/..' } }] },
      400,
      'Bundle.entry[0].request.url',
      /not \[type\], \[type\]\/\[id\]/,
    ),
    post(
      'batch GET with a space in the id',
      '/fhir',
      { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'SupplyRequest/a b' } }] },
      400,
      'Bundle.entry[0].request.url',
      /not \[type\]/,
    ),
    post(
      'transaction entry URL with extra segments',
      '/fhir',
      txWith((b) => {
        b.entry[0].request.url = 'SupplyRequest/x/y/z';
      }),
      400,
      'Bundle.entry[0].request.url',
      /not \[type\]/,
    ),
    // ── search parameters ───────────────────────────────────────────────────────────────
    get(
      '?constructor=x under strict handling',
      '/fhir/Location?constructor=x',
      400,
      'constructor',
      /Unknown search parameter 'constructor'/,
      strict,
    ),
    get(
      '?__proto__=x under strict handling',
      '/fhir/Location?__proto__=x',
      400,
      '__proto__',
      /Unknown search parameter '__proto__'/,
      strict,
    ),
    get(
      '?toString=x under strict handling',
      '/fhir/Location?toString=x',
      400,
      'toString',
      /Unknown search parameter 'toString'/,
      strict,
    ),
    get(
      '?hasOwnProperty=x under strict handling',
      '/fhir/SupplyRequest?hasOwnProperty=x',
      400,
      'hasOwnProperty',
      /Unknown search parameter/,
      strict,
    ),
    {
      name: '_search form with constructor under strict handling',
      method: 'POST',
      url: '/fhir/Location/_search',
      raw: 'constructor=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...strict },
      status: 400,
      expression: 'constructor',
      diagnostics: /Unknown search parameter 'constructor'/,
    },
    {
      name: '_search form with valueOf under strict handling',
      method: 'POST',
      url: '/fhir/Location/_search',
      raw: 'valueOf=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...strict },
      status: 400,
      expression: 'valueOf',
      diagnostics: /Unknown search parameter 'valueOf'/,
    },
    {
      name: '_search with a JSON body',
      method: 'POST',
      url: '/fhir/Location/_search',
      body: { name: 'x' },
      status: 400,
      expression: 'Content-Type',
      diagnostics: /x-www-form-urlencoded/,
    },
    get(
      'unknown parameter under HANDLING=STRICT',
      '/fhir/Location?colour=red',
      400,
      'colour',
      /Unknown search parameter 'colour'/,
      { prefer: 'HANDLING=STRICT' },
    ),
    get(
      'unknown parameter under strict handling',
      '/fhir/Location?colour=blue',
      400,
      'colour',
      /Unknown search parameter 'colour'/,
      strict,
    ),
    get(
      '_include under strict handling',
      '/fhir/SupplyRequest?_include=SupplyRequest:requester',
      400,
      '_include',
      /not supported \(Prefer: handling=strict\)/,
      strict,
    ),
    get('_elements under strict handling', '/fhir/Location?_elements=name', 400, '_elements', /not supported/, strict),
    get(
      'a modifier we do not implement',
      '/fhir/Location?name:exact=Clinic',
      400,
      'name:exact',
      /does not support the modifier ':exact'/,
    ),
    get(':not modifier', '/fhir/Location?status:not=active', 400, 'status:not', /modifier ':not'/),
    get(
      '_lastUpdated=ge2026-13-01',
      '/fhir/Location?_lastUpdated=ge2026-13-01',
      400,
      '_lastUpdated',
      /'ge2026-13-01' is not a FHIR date/,
    ),
    get(
      '_lastUpdated=ge2026-02-30',
      '/fhir/Location?_lastUpdated=ge2026-02-30',
      400,
      '_lastUpdated',
      /is not a FHIR date/,
    ),
    get(
      '_lastUpdated hour 25',
      `/fhir/Location?_lastUpdated=${encodeURIComponent('gt2026-01-01T25:00:00Z')}`,
      400,
      '_lastUpdated',
      /is not a FHIR date/,
    ),
    get(
      '_lastUpdated=gtyesterday',
      '/fhir/Location?_lastUpdated=gtyesterday',
      400,
      '_lastUpdated',
      /is not a FHIR date/,
    ),
    get(
      '_lastUpdated with an unknown prefix',
      '/fhir/Location?_lastUpdated=zz2026-01-01',
      400,
      '_lastUpdated',
      /is not a FHIR date/,
    ),
    get('date=2026-02-30 on SupplyRequest', '/fhir/SupplyRequest?date=2026-02-30', 400, 'date', /is not a FHIR date/),
    get('_count=many', '/fhir/Location?_count=many', 400, '_count', /non-negative integer/),
    get('_count=-1', '/fhir/Location?_count=-1', 400, '_count', /non-negative integer/),
    get('_offset=abc', '/fhir/Location?_offset=abc', 400, '_offset', /non-negative integer/),
    get('_sort by an unknown key', '/fhir/Location?_sort=colour', 400, '_sort', /_sort by 'colour' is not supported/),
    get('_summary=maybe', '/fhir/Location?_summary=maybe', 400, '_summary', /_summary must be one of/),

    // ── URLs, methods, headers ──────────────────────────────────────────────────────────
    get('invalid id in the URL', '/fhir/Location/bad_id!', 400, 'id', /not a valid FHIR id/),
    {
      name: 'id .. (percent-encoded)',
      send: () =>
        env.rawHttp(
          `GET /fhir/Location/%2E%2E HTTP/1.1\r\nHost: x\r\nAuthorization: ${env.authorization}\r\nConnection: close\r\n\r\n`,
        ),
      status: 400,
      expression: 'id',
      diagnostics: /not '\.' or '\.\.'/,
    },
    get('id longer than 64', `/fhir/SupplyRequest/${'a'.repeat(65)}`, 400, 'id', /not a valid FHIR id/),
    get('unknown resource type', '/fhir/Patient', 404, 'type', /'Patient' is not supported/),
    get('unknown route', '/fhir/Location/x/y/z', 404, 'url', /No route for GET/),
    get(
      'unknown SupplyRequest id',
      '/fhir/SupplyRequest/no-such-line',
      404,
      'id',
      /SupplyRequest\/no-such-line is not known/,
    ),
    get('unknown SearchParameter', '/fhir/SearchParameter/nope', 404, 'id', /not one we define/),
    {
      // a DELETE of an order line cancels it (issue 16); a delivery line cannot be deleted
      name: 'DELETE of a delivery line',
      method: 'DELETE',
      url: '/fhir/SupplyDelivery/abc',
      status: 405,
      expression: 'method',
      diagnostics: /DELETE SupplyDelivery\/abc is not supported/,
    },
    {
      name: 'DELETE of an unknown facility',
      method: 'DELETE',
      url: '/fhir/Location/abc',
      status: 404,
      expression: 'id',
      diagnostics: /Location\/abc is not known/,
    },
    {
      name: 'PATCH that is not a JSON Patch',
      method: 'PATCH',
      url: '/fhir/SupplyRequest/abc',
      body: [],
      status: 415,
      expression: 'Content-Type',
      diagnostics: /PATCH needs Content-Type application\/json-patch\+json/,
    },
    {
      name: 'PUT at the base',
      method: 'PUT',
      url: '/fhir',
      body: tx([order()]),
      status: 405,
      expression: 'method',
      diagnostics: /PUT \/fhir is not supported/,
    },
    {
      name: 'PUT with an id differing from the URL',
      method: 'PUT',
      url: '/fhir/SupplyRequest/abc',
      body: { ...order(), id: 'xyz' },
      status: 400,
      expression: 'SupplyRequest.id',
      diagnostics: /must equal the id in the URL/,
    },
    {
      name: 'If-Match on a line that does not exist',
      method: 'PUT',
      url: '/fhir/SupplyRequest/no-such-line',
      body: { ...order(), id: 'no-such-line' },
      headers: { 'if-match': 'W/"1"' },
      status: 412,
      expression: 'If-Match',
      diagnostics: /If-Match W\/"1" given but SupplyRequest\/no-such-line does not exist/,
    },
    {
      name: 'If-None-Exist with an unknown parameter',
      url: '/fhir/SupplyRequest',
      body: order(),
      headers: { 'if-none-exist': 'colour=blue' },
      status: 400,
      expression: 'If-None-Exist',
      diagnostics: /If-None-Exist 'colour=blue': Unknown search parameter 'colour'/,
    },
    {
      name: 'no Authorization',
      method: 'GET',
      url: '/fhir/Location',
      noAuth: true,
      status: 401,
      expression: 'Authorization',
      diagnostics: /no Authorization header/,
    },
    {
      name: 'wrong password',
      method: 'GET',
      url: '/fhir/Location',
      headers: { authorization: `Basic ${Buffer.from('openhim:nope').toString('base64')}` },
      status: 401,
      expression: 'Authorization',
      diagnostics: /credentials are not accepted/,
    },
    {
      name: 'Bearer scheme when Basic is configured',
      method: 'GET',
      url: '/fhir/Location',
      headers: { authorization: 'Bearer abc' },
      status: 401,
      expression: 'Authorization',
      diagnostics: /scheme must be Basic/,
    },
    {
      name: 'Digest scheme',
      method: 'GET',
      url: '/fhir/Location',
      headers: { authorization: 'Digest username="openhim"' },
      status: 401,
      expression: 'Authorization',
      diagnostics: /scheme must be Basic/,
    },
    {
      name: 'Basic credentials without a colon',
      method: 'GET',
      url: '/fhir/Location',
      headers: { authorization: `Basic ${Buffer.from('openhim').toString('base64')}` },
      status: 401,
      expression: 'Authorization',
      diagnostics: /not accepted/,
    },
    {
      name: 'Basic scheme without credentials',
      method: 'GET',
      url: '/fhir/Location',
      headers: { authorization: 'Basic' },
      status: 401,
      expression: 'Authorization',
      diagnostics: /scheme must be Basic/,
    },
    {
      name: 'headers over 16 KiB',
      send: () => env.rawHttp(`GET /fhir/Location HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      status: 431,
      expression: 'Headers',
      diagnostics: /headers are larger/,
    },
    {
      name: 'a body sent a byte at a time',
      send: () =>
        env.rawHttp(
          `POST /fhir/SupplyRequest HTTP/1.1\r\nHost: x\r\nAuthorization: ${env.authorization}\r\nContent-Type: application/fhir+json\r\nContent-Length: 500\r\n\r\n`,
          { drip: { bytes: json.slice(0, 40), everyMs: 400 } },
        ),
      status: 408,
      expression: '$this',
      diagnostics: /not received in time/,
    },
    {
      name: 'not HTTP at all',
      send: () => env.rawHttp('HELLO\r\n\r\n'),
      status: 400,
      expression: '$this',
      diagnostics: /not well-formed HTTP/,
    },
    {
      name: 'R5 order with a foreign deliverTo',
      url: '/fhir/R5/SupplyRequest',
      body: (() => {
        const r: any = orderR5();
        r.deliverTo.reference = 'http://evil.example.org/fhir/Location/x';
        return r;
      })(),
      status: 400,
      expression: 'SupplyRequest.deliverTo.reference',
      diagnostics: /another server/,
    },
    {
      name: 'R5 order with 0.5 units',
      url: '/fhir/R5/SupplyRequest',
      body: (() => {
        const r: any = orderR5();
        r.quantity.value = 0.5;
        return r;
      })(),
      status: 422,
      expression: 'SupplyRequest.quantity.value',
      diagnostics: /not a whole number/,
    },
  ];
}
