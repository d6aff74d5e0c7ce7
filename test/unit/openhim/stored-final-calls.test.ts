/**
 * The final attempt's calls as a job's end stores them (stored-final-calls.ts, migration v46):
 * orchestrations masked and cut as the envelope makes them, and within the per-job limit by
 * dropping bodies first, then the last calls.
 */
import t from 'tap';
import type { UpstreamCall } from '../../../src/platform/call-recording.js';
import { Redactor } from '../../../src/platform/redaction.js';
import { TRUNCATION_MARK, type Orchestration } from '../../../src/openhim/envelope.js';
import { orchestrationBodyLimit, storedFinalCalls } from '../../../src/openhim/stored-final-calls.js';

const TOKEN = 'd2pat_StoredCallsSecretToken0000000000001';
const redactor = new Redactor();
redactor.learn(TOKEN);

function call(n: number, body: string): UpstreamCall {
  return {
    system: 'dhis2',
    method: 'POST',
    url: `https://dhis2.example/api/dataValueSets?n=${n}`,
    requestHeaders: { authorization: `ApiToken ${TOKEN}`, 'content-type': 'application/json' },
    requestBody: body,
    startedAt: 1_000 + n,
    endedAt: 2_000 + n,
    response: { status: 200, headers: { 'content-type': 'application/json' }, body: `{"echo":"${TOKEN}"}` },
  };
}

const opts = { urn: 'urn:mediator:test', secretValues: [TOKEN], redactor };
const parse = (text: string | undefined) => JSON.parse(text!) as Orchestration[];

t.test('none: nothing to store', async (t) => {
  t.equal(storedFinalCalls([], opts), undefined);
});

t.test('masked as the envelope masks them, bodies cut to the body limit', async (t) => {
  const text = storedFinalCalls([call(1, 'x'.repeat(500))], { ...opts, bodyLimitBytes: 100 });
  t.notOk(text!.includes(TOKEN), 'the token in no header nor body');
  const [o] = parse(text);
  t.match(o, { name: 'dhis2 POST /api/dataValueSets', group: 'dhis2', response: { status: 200 } });
  t.ok(o.request.body.endsWith(TRUNCATION_MARK), 'the request body cut');
  t.ok(Buffer.byteLength(o.request.body) <= 100 + Buffer.byteLength(TRUNCATION_MARK));
});

t.test('over the per-job limit: bodies go first, then the last calls', async (t) => {
  const big = [call(1, 'a'.repeat(3_000)), call(2, 'b'.repeat(3_000))];
  const bare = parse(storedFinalCalls(big, { ...opts, limitBytes: 4_000 }));
  t.equal(bare.length, 2, 'both calls kept');
  t.same(
    bare.map((o) => [o.request.body, o.response?.body]),
    [
      [TRUNCATION_MARK, TRUNCATION_MARK],
      [TRUNCATION_MARK, TRUNCATION_MARK],
    ],
    'without their bodies',
  );
  const one = JSON.stringify(bare[0]).length;
  const first = parse(storedFinalCalls(big, { ...opts, limitBytes: one + 10 }));
  t.same(
    first.map((o) => o.request.path + o.request.querystring),
    ['/api/dataValueSetsn=1'],
    'then only the first call',
  );
  t.equal(storedFinalCalls(big, { ...opts, limitBytes: 10 }), undefined, 'none when not even one fits');
});

t.test('many calls over the limit: the longest first run that fits, to the byte', async (t) => {
  // multi-byte paths: the limit counts bytes, not characters
  const many = Array.from({ length: 400 }, (_, n) => ({
    ...call(n, 'c'.repeat(200)),
    url: `https://dhis2.example/ä/${n}`,
  }));
  const all = parse(storedFinalCalls(many, { ...opts, limitBytes: 1_000_000 }));
  t.equal(all.length, 400, 'all fit a large limit, bodies kept');
  const bare = parse(storedFinalCalls(many, { ...opts, limitBytes: 30_000 }));
  t.ok(bare.length > 1 && bare.length < 400, `some of the calls kept (${bare.length})`);
  t.ok(
    bare.every((o) => o.request.body === TRUNCATION_MARK),
    'without their bodies',
  );
  const exact = Buffer.byteLength(JSON.stringify(bare.slice(0, 37)));
  const fits = storedFinalCalls(many, { ...opts, limitBytes: exact });
  t.equal(parse(fits).length, 37, 'a limit of exactly 37 calls keeps 37');
  t.equal(Buffer.byteLength(fits!), exact, 'as one JSON array of them');
  t.equal(parse(storedFinalCalls(many, { ...opts, limitBytes: exact - 1 })).length, 36, 'a byte less keeps 36');
});

t.test('openhim.orchestrationBodyLimitBytes read as the updater reads it', async (t) => {
  t.equal(orchestrationBodyLimit({ 'openhim.orchestrationBodyLimitBytes': 2048 }), 2048);
  t.equal(orchestrationBodyLimit({ 'openhim.orchestrationBodyLimitBytes': 0 }), 0);
  t.equal(orchestrationBodyLimit({}), undefined);
  t.equal(orchestrationBodyLimit({ 'openhim.orchestrationBodyLimitBytes': 'many' }), undefined);
});
