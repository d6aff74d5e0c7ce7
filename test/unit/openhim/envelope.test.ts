// The application/json+openhim body: shape core expects, status rules, masking, truncation, error.
import t from 'tap';
import {
  buildOpenHimEnvelope,
  mediatorStatusFor,
  TRUNCATION_MARK,
  truncateUtf8,
} from '../../../src/openhim/envelope.js';
import { maskBodyText, maskHeaders, maskUrlEncoded, MASK } from '../../../src/openhim/masking.js';
import type { UpstreamCall } from '../../../src/platform/call-recording.js';

const urn = 'urn:mediator:fhir-supply-mediator';
const start = new Date('2024-03-01T10:00:00.000Z');
const end = new Date('2024-03-01T10:00:00.250Z');

const tokenCall: UpstreamCall = {
  system: 'openlmis',
  method: 'post',
  url: 'https://lmis.example.org:8443/api/oauth/token?grant_type=password&username=admin&password=hunter2secret',
  requestHeaders: {
    Authorization: 'Basic dXNlci1jbGllbnQ6Y2hhbmdlbWU=',
    'Content-Type': 'application/x-www-form-urlencoded',
  },
  requestBody: 'grant_type=password&username=admin&password=hunter2secret',
  startedAt: start,
  endedAt: end,
  response: {
    status: 200,
    headers: { 'content-type': 'application/json', 'set-cookie': ['JSESSIONID=abc'] },
    body: { access_token: 'tok-123456', token_type: 'bearer', expires_in: 1799, user: { referenceDataUserId: 'u1' } },
  },
};

t.test('envelope shape: urn, string body, Content-Type, timestamps, querystring', async (t) => {
  const env = buildOpenHimEnvelope({
    urn,
    response: {
      status: 201,
      headers: { 'content-type': 'application/fhir+json; charset=utf-8', etag: 'W/"1"', 'content-length': '99' },
      body: { resourceType: 'SupplyRequest', id: 'sr1' },
      timestamp: end,
    },
    orchestrations: [
      tokenCall,
      {
        method: 'GET',
        url: 'http://dhis2.local/api/organisationUnits?fields=id,name&paging=false',
        startedAt: start.getTime(),
        endedAt: end.getTime(),
        response: { status: 200, body: '{"organisationUnits":[]}' },
      },
    ],
    properties: { openlmisRequisitionId: 'req-1', lines: 2 },
  });
  t.equal(env['x-mediator-urn'], urn);
  t.equal(env.status, 'Successful');
  t.equal(typeof env.response.body, 'string');
  t.same(JSON.parse(env.response.body), { resourceType: 'SupplyRequest', id: 'sr1' });
  t.equal(env.response.headers['Content-Type'], 'application/fhir+json; charset=utf-8');
  t.equal(env.response.headers.etag, 'W/"1"', 'other headers kept');
  t.notOk('content-length' in env.response.headers, 'hop headers dropped');
  t.equal(env.response.timestamp, end.toISOString());
  t.same(env.properties, { openlmisRequisitionId: 'req-1', lines: 2 });
  t.notOk('error' in env, 'no error on success');

  t.equal(env.orchestrations.length, 2, 'one orchestration per upstream call');
  const [token, dhis] = env.orchestrations;
  t.equal(token.name, 'openlmis POST /api/oauth/token');
  t.match(token.request, {
    host: 'lmis.example.org',
    port: '8443',
    path: '/api/oauth/token',
    method: 'POST',
    timestamp: start.toISOString(),
  });
  t.equal(token.response?.timestamp, end.toISOString());
  t.equal(dhis.request.port, '80', 'default port filled in');
  t.equal(dhis.request.querystring, 'fields=id,name&paging=false', 'querystring key, no leading ?');
  t.notOk('queryString' in dhis.request);
  t.equal(dhis.request.timestamp, start.toISOString(), 'epoch ms accepted');
  t.equal(typeof dhis.response?.body, 'string');
});

t.test('credentials and tokens are masked in headers, query strings and bodies', async (t) => {
  const env = buildOpenHimEnvelope({
    urn,
    response: { status: 200, body: '' },
    orchestrations: [tokenCall],
    secretValues: ['changeme-client-secret'],
  });
  const text = JSON.stringify(env.orchestrations);
  for (const secret of ['hunter2secret', 'tok-123456', 'dXNlci1jbGllbnQ6Y2hhbmdlbWU=', 'JSESSIONID=abc'])
    t.notMatch(text, secret, `${secret} not present`);
  const [o] = env.orchestrations;
  t.equal(o.request.headers.Authorization, `Basic ${MASK}`, 'scheme kept, credential masked');
  t.equal(o.request.querystring, `grant_type=password&username=admin&password=${MASK}`);
  t.equal(o.request.body, `grant_type=password&username=admin&password=${MASK}`);
  const body = JSON.parse(o.response!.body);
  t.equal(body.access_token, MASK);
  t.equal(body.expires_in, 1799, 'non-secret fields kept');
  t.equal(body.user.referenceDataUserId, 'u1');
  t.equal(o.response!.headers['set-cookie'], MASK);
});

t.test('masking helpers', async (t) => {
  t.same(
    maskHeaders({
      cookie: 'a=b',
      'x-api-key': 'k',
      'Proxy-Authorization': 'Bearer abc.def',
      accept: 'application/json',
      skip: undefined,
    }),
    {
      cookie: MASK,
      'x-api-key': MASK,
      'Proxy-Authorization': `Bearer ${MASK}`,
      accept: 'application/json',
    },
  );
  t.equal(
    maskUrlEncoded('a=1&client_secret=xyz&refresh%5Ftoken=r&flag'),
    `a=1&client_secret=${MASK}&refresh%5Ftoken=${MASK}&flag`,
  );
  t.equal(
    maskBodyText(
      '{"query":"mutation { authToken(username: \\"u\\", password: \\"p\\") }","variables":{"password":"pw1","storeId":"s"}}',
      'application/json',
    ),
    `{"query":"mutation { authToken(username: \\"u\\", password: \\"p\\") }","variables":{"password":"${MASK}","storeId":"s"}}`,
  );
  t.equal(
    maskBodyText('<html>login failed for password=hunter2</html>', 'text/html'),
    `<html>login failed for password=${MASK}</html>`,
  );
  t.equal(
    maskBodyText('{"password": "unterminated', 'application/json'),
    `{"password": "${MASK}"`,
    'broken (truncated) JSON still scanned',
  );
  t.equal(
    maskBodyText('the key is s3cr3t-value here', 'text/plain', ['s3cr3t-value']),
    `the key is ${MASK} here`,
    'configured secrets scrubbed',
  );
  t.equal(maskBodyText('[{"name":"a","apiKey":"k1"}]'), `[{"name":"a","apiKey":"${MASK}"}]`);
  t.equal(
    maskBodyText('{"program":{"code":"EM01","skipAuthorization":false},"token":"t1","pin":{"secret":1234}}'),
    `{"program":{"code":"EM01","skipAuthorization":false},"token":"${MASK}","pin":{"secret":"${MASK}"}}`,
    "a flag under a credential-like name (OpenLMIS's skipAuthorization) is no credential: kept as it is",
  );
});

t.test('status rules and error only for transient failures', async (t) => {
  t.equal(mediatorStatusFor(200), 'Successful');
  t.equal(mediatorStatusFor(201), 'Successful');
  t.equal(mediatorStatusFor(202), 'Processing');
  t.equal(mediatorStatusFor(400), 'Completed');
  t.equal(mediatorStatusFor(422), 'Completed');
  t.equal(mediatorStatusFor(502), 'Failed');
  const failed = buildOpenHimEnvelope({
    urn,
    response: { status: 503, body: 'x' },
    transientError: { message: 'openlmis: connection reset' },
  });
  t.same(failed.error, { message: 'openlmis: connection reset' });
  t.equal(failed.status, 'Failed');
  const rejected = buildOpenHimEnvelope({ urn, response: { status: 422, body: 'x' }, transientError: null });
  t.notOk('error' in rejected);
  t.equal(
    buildOpenHimEnvelope({ urn, response: { status: 200 }, status: 'Completed with error(s)' }).status,
    'Completed with error(s)',
    'override',
  );
  t.equal(
    buildOpenHimEnvelope({ urn, response: { status: 204 } }).response.headers['Content-Type'],
    'text/plain; charset=utf-8',
    'a Content-Type even without one',
  );
});

t.test('a failed call without response still yields a valid orchestration', async (t) => {
  const env = buildOpenHimEnvelope({
    urn,
    response: { status: 504 },
    orchestrations: [
      {
        system: 'msupply',
        method: 'POST',
        url: 'http://ms.local/graphql',
        startedAt: start,
        error: { message: 'timeout after 30000 ms', code: 'UND_ERR_HEADERS_TIMEOUT' },
      },
    ],
  });
  const [o] = env.orchestrations;
  t.equal(o.request.timestamp, start.toISOString(), 'request.timestamp always present');
  t.notOk(o.response);
  t.same(o.error, { message: 'timeout after 30000 ms' });
  t.equal(o.group, 'msupply');
});

t.test('orchestration bodies are truncated to the per-body and total budgets', async (t) => {
  const big = 'é'.repeat(1000); // 2000 bytes
  const calls: UpstreamCall[] = [1, 2, 3].map((i) => ({
    method: 'POST',
    url: `http://x.local/${i}`,
    requestBody: big,
    startedAt: start,
    response: { status: 200, body: big },
  }));
  const env = buildOpenHimEnvelope({
    urn,
    response: { status: 200, body: big },
    orchestrations: calls,
    bodyLimitBytes: 500,
    totalBodyLimitBytes: 1200,
  });
  t.equal(env.response.body, big, 'the client response is never truncated');
  const bodies = env.orchestrations.flatMap((o) => [o.request.body, o.response!.body]);
  for (const b of bodies) {
    t.ok(Buffer.byteLength(b) <= 500, 'per-body budget');
    t.ok(b.endsWith(TRUNCATION_MARK), 'marked as truncated');
    t.notMatch(b, /\uFFFD/, 'no broken UTF-8 character');
  }
  t.ok(
    bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) <= 1200 + 6 * Buffer.byteLength(TRUNCATION_MARK),
    'total budget',
  );
  t.equal(bodies.at(-1), TRUNCATION_MARK, 'once the total is spent, only the mark remains');
  t.equal(truncateUtf8('short', 500), 'short');
});

t.test('contract: our envelope has every field of the published mediator responses, with the same types', async (t) => {
  const { existsSync, readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const dir = path.join(process.env.SHARED_DIR ?? path.resolve(repoRoot, '../shared'), 'fixtures/openhim');
  if (!existsSync(dir)) {
    t.comment('contract tier skipped: ../shared/fixtures not found');
    return;
  }
  const ours = buildOpenHimEnvelope({
    urn,
    response: { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' },
    orchestrations: [
      {
        name: 'Test',
        method: 'POST',
        url: 'http://x.local/',
        requestHeaders: { 'content-type': 'text/plain' },
        requestBody: 'a',
        startedAt: start,
        endedAt: end,
        response: { status: 200, headers: {}, body: 'b' },
      },
    ],
    properties: { orderId: 'TEST00001' },
  }) as unknown as Record<string, unknown>;
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
  /** Every key of `theirs` is in `mine` with the same JSON type (timestamps: ours are ISO strings, core accepts both). */
  const sameShape = (label: string, mine: Record<string, unknown>, theirs: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(theirs)) {
      t.ok(key in mine, `${label}.${key} present`);
      if (key === 'timestamp') t.ok(!Number.isNaN(Date.parse(String(mine[key]))), `${label}.timestamp is a date`);
      else if (key !== 'headers') t.equal(kind(mine[key]), kind(value), `${label}.${key} type`);
    }
  };
  for (const name of [
    'mediatorResponse.successful.core-perf-mediator.json',
    'mediatorResponse.with-properties.core-tests.json',
  ]) {
    const theirs = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
    const top = { ...theirs };
    delete top.orchestrations;
    delete top.response;
    delete top.properties;
    sameShape(name, ours, top);
    sameShape(`${name} response`, ours.response as Record<string, unknown>, theirs.response);
    const [mine] = ours.orchestrations as Record<string, Record<string, unknown>>[];
    sameShape(`${name} orchestration.request`, mine.request, theirs.orchestrations[0].request);
    sameShape(`${name} orchestration.response`, mine.response, theirs.orchestrations[0].response);
  }
});

t.test('the fast path for bodies without credential names does not miss escaped or short names', async (t) => {
  t.equal(maskBodyText('{"pass":"p1","x":1}'), `{"pass":"${MASK}","x":1}`);
  t.equal(maskBodyText('{"\\u0070assword":"p2"}'), `{"password":"${MASK}"}`, 'unicode-escaped key');
  t.equal(
    maskBodyText('a=1&pass%77ord=p3', 'application/x-www-form-urlencoded'),
    `a=1&pass%77ord=${MASK}`,
    'percent-encoded key',
  );
  const plain = '{"resourceType":"Location","name":"Passage clinic"}';
  t.equal(maskBodyText(plain), plain, 'ordinary text unchanged');
  // escapes that decode to no letter, '-' or '_' keep the text as it came, byte for byte
  const quoted = '{ "name": "Clinic \\"A\\" \\\\ East\\/West\\n", "code": "F1" }';
  t.equal(maskBodyText(quoted, 'application/json'), quoted, 'escaped quotes, backslashes, slashes: unchanged');
  t.equal(
    maskBodyText('{"note":"say \\"hi\\"","pass\\u0077ord":"p4"}', 'application/json'),
    `{"note":"say \\"hi\\"","password":"${MASK}"}`,
    'an escaped quote beside a unicode-escaped key: still masked',
  );
  t.equal(
    maskBodyText('{"note":"a \\"b\\"","token":"t5"}'),
    `{"note":"a \\"b\\"","token":"${MASK}"}`,
    'a named credential beside an escaped quote: masked',
  );
  t.equal(maskBodyText('a=1&x=%41%42', 'application/x-www-form-urlencoded'), 'a=1&x=%41%42', 'percent text parsed');
  t.equal(
    maskBodyText('a=1&%74oken=t6', 'application/x-www-form-urlencoded'),
    `a=1&%74oken=${MASK}`,
    'a percent-encoded first letter',
  );
});

t.test('a credential-like name holding only a flag keeps the body as the upstream sent it', async (t) => {
  // an OpenLMIS requisition names its program's skipAuthorization flag: nothing to mask, so the
  // recorded body is the upstream's own text (spacing and key order), not a re-serialized copy
  const requisition =
    '{ "id": "r1", "program": { "code": "EM01", "skipAuthorization": false }, "status": "INITIATED" }';
  t.equal(maskBodyText(requisition, 'application/json'), requisition, 'kept byte for byte');
  const flags = '[{"skipAuthorization": true}, {"tokenRequired":null}, {"hasSecret" : false }]';
  t.equal(maskBodyText(flags), flags, 'every flag kept, byte for byte');
  t.equal(
    maskBodyText('{ "skipAuthorization": false, "token": "t7" }'),
    `{"skipAuthorization":false,"token":"${MASK}"}`,
    'a flag beside a real credential: the credential still masked',
  );
  t.equal(maskBodyText('{"secret": 1234}'), `{"secret":"${MASK}"}`, 'a number (a PIN) under the name: masked');
  t.equal(
    maskBodyText('{"note":"token","flag":true,"pwd":"p8"}'),
    `{"note":"token","flag":true,"pwd":"${MASK}"}`,
    'the name as a value, then a flag: still parsed, the credential masked',
  );
  t.equal(
    maskBodyText('{"a":"x token\\": true","pass":"p9"}'),
    `{"a":"x token\\": true","pass":"${MASK}"}`,
    'an escaped quote that looks like a key ending: still parsed',
  );
  t.equal(
    maskBodyText('error: token=abc9": true}', 'text/plain'),
    `error: token=${MASK}": true}`,
    'text that is not JSON, a value between the name and a flag: still scanned and masked',
  );
  t.equal(maskBodyText('pass=hunter2":true}'), `pass=${MASK}`, 'a form whose value looks like a flag: masked');
  t.equal(
    maskBodyText('user=bob&pass=hunter2":null]'),
    `user=bob&pass=${MASK}`,
    'a form with a credential whose value ends like a flag: masked',
  );
  t.equal(
    maskBodyText('token":true,=hunter2', 'application/x-www-form-urlencoded'),
    `token":true,=${MASK}`,
    'a form whose field name ends like a flag: masked as a form',
  );
  t.equal(
    maskBodyText('{"skipAuthorization":false,"user":"s3cr3t-value"}', 'application/json', ['s3cr3t-value']),
    `{"skipAuthorization":false,"user":"${MASK}"}`,
    'known secret values still scrubbed on the fast path',
  );
});
