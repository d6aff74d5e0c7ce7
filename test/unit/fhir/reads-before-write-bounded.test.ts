/**
 * The reads a write rests on share the bound of its checks (FhirServices.checked, counted from one
 * start), as a PUT's read of what it changes does (change-reads-bounded.test.ts):
 * - a POST's If-None-Exist search;
 * - a transaction's reads before its writes are recorded: If-None-Exist searches, the resources its
 *   PUT, PATCH and DELETE entries change; its writes' checks count from the same start;
 * - a batch's read entries, within the batch's time (FhirServices.answered); a transaction's read
 *   entries, run after its writes are recorded, are not (a 504 then would say nothing was).
 * Past the bound: 504, nothing written. Before, each of these reads ran unbounded.
 */
import t, { type Test } from 'tap';
import { ChecksTooSlowError, ReadTooSlowError } from '../../../src/domain/errors.js';
import type { WriteContext } from '../../../src/fhir/services.js';
import { fhirJson, testApp } from '../../support/app.js';
import { memoryServices } from '../../support/memory-services.js';

const SYSTEM = 'urn:test:facility';
const location = (id: string | undefined, code: string) => ({
  resourceType: 'Location',
  ...(id ? { id } : {}),
  status: 'active',
  name: `Clinic ${code}`,
  identifier: [{ system: SYSTEM, value: code }],
});
const binary = (ops: unknown) => ({
  resourceType: 'Binary',
  contentType: 'application/json-patch+json',
  data: Buffer.from(JSON.stringify(ops)).toString('base64'),
});
const bundle = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });

/**
 * Memory services whose writes' contexts are kept, whose bound on a write's reads answers a 504
 * while `slow.checks`, and whose bound on a batch's reads while `slow.reads`; `asked`: the start
 * each read through the bound counted from.
 */
async function bounded(t: Test) {
  const mem = memoryServices();
  const contexts: WriteContext[] = [];
  const asked: { checked: number[]; answered: number[] } = { checked: [], answered: [] };
  const slow = { checks: false, reads: false };
  const write = mem.flows.facilities.write.bind(mem.flows.facilities);
  mem.flows.facilities.write = ((value: any, context: WriteContext) => {
    if (context) contexts.push(context); // writeAll's, without one, are kept there
    return write(value);
  }) as typeof write;
  // a transaction's writes: their contexts as recorded together
  const writeAll = mem.services.writeAll.bind(mem.services);
  mem.services.writeAll = (writes, entries) => {
    contexts.push(...writes.map((w) => w.context));
    return writeAll(writes, entries);
  };
  mem.services.checked = (<T>(reads: () => Promise<T>, since: number) => {
    asked.checked.push(since);
    return slow.checks ? Promise.reject(new ChecksTooSlowError(['openlmis'], 5_000, 1_000)) : reads();
  }) as typeof mem.services.checked;
  mem.services.answered = (<T>(reads: () => Promise<T>, since: number) => {
    asked.answered.push(since);
    return slow.reads ? Promise.reject(new ReadTooSlowError(['openlmis'], 6_000)) : reads();
  }) as typeof mem.services.answered;
  const { app } = await testApp({ services: mem.services });
  t.teardown(() => app.close());
  const call = (method: 'POST' | 'PUT', url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method, url, headers: { ...fhirJson, ...headers }, payload: JSON.stringify(body) });
  for (const code of ['F1', 'F2', 'F3']) await call('PUT', `/fhir/Location/${code}`, location(code, code));
  contexts.length = 0;
  asked.checked.length = 0;
  return { mem, contexts, asked, slow, call };
}

t.test("a POST's If-None-Exist search outlasting the checks' bound: 504, nothing written", async (t) => {
  const { mem, contexts, asked, slow, call } = await bounded(t);
  const condition = { 'if-none-exist': `identifier=${SYSTEM}|N1` };
  const made = await call('POST', '/fhir/Location', location(undefined, 'N1'), condition);
  t.equal(made.statusCode, 201, made.body);
  t.equal(asked.checked.length, 1, 'its search went through the bound');
  t.equal(contexts[0].checksSince, asked.checked[0], "the write's checks count from the search's start");

  slow.checks = true;
  const res = await call('POST', '/fhir/Location', location(undefined, 'N2'), {
    'if-none-exist': `identifier=${SYSTEM}|N2`,
  });
  t.equal(res.statusCode, 504, res.body);
  t.match(res.json().issue, [{ code: 'timeout', diagnostics: /openlmis.*nothing was written/ }]);
  t.equal(contexts.length, 1, 'nothing written');
  t.notOk([...mem.flows.facilities.items.values()].some((f: any) => f.name === 'Clinic N2'));
});

t.test("a transaction's reads before its writes share one bound with their checks", async (t) => {
  const { contexts, asked, call } = await bounded(t);
  const res = await call(
    'POST',
    '/fhir',
    bundle('transaction', [
      { request: { method: 'PUT', url: 'Location/F1' }, resource: { ...location('F1', 'F1'), name: 'Renamed' } },
      {
        request: { method: 'PATCH', url: 'Location/F2' },
        resource: binary([{ op: 'replace', path: '/name', value: 'Patched' }]),
      },
      { request: { method: 'DELETE', url: 'Location/F3' } },
      {
        fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000004',
        request: { method: 'POST', url: 'Location', ifNoneExist: `identifier=${SYSTEM}|N4` },
        resource: location(undefined, 'N4'),
      },
    ]),
  );
  t.equal(res.statusCode, 200, res.body);
  t.ok(asked.checked.length >= 4, `every read went through the bound (${asked.checked.length})`);
  t.same(new Set(asked.checked).size, 1, 'all counted from the transaction start');
  t.ok(contexts.length > 0, 'written');
  t.ok(
    contexts.every((c) => c.checksSince === asked.checked[0]),
    "its writes' checks count from the same start",
  );
});

t.test('a transaction whose reads outlast the bound: refused whole, 504, nothing written', async (t) => {
  const { mem, contexts, slow, call } = await bounded(t);
  slow.checks = true;
  const entries: [string, unknown][] = [
    ['PUT', { request: { method: 'PUT', url: 'Location/F1' }, resource: { ...location('F1', 'F1'), name: 'X' } }],
    [
      'PATCH',
      {
        request: { method: 'PATCH', url: 'Location/F2' },
        resource: binary([{ op: 'replace', path: '/name', value: 'X' }]),
      },
    ],
    ['DELETE', { request: { method: 'DELETE', url: 'Location/F3' } }],
    [
      'If-None-Exist',
      {
        fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000004',
        request: { method: 'POST', url: 'Location', ifNoneExist: `identifier=${SYSTEM}|N5` },
        resource: location(undefined, 'N5'),
      },
    ],
  ];
  for (const [name, entry] of entries) {
    const res = await call('POST', '/fhir', bundle('transaction', [entry]));
    t.equal(res.statusCode, 504, `${name}: ${res.body}`);
    t.match(res.json().issue, [{ code: 'timeout', diagnostics: /openlmis/ }], `${name}: naming the system`);
  }
  t.equal(contexts.length, 0, 'nothing written');
  t.same(
    ['F1', 'F2', 'F3'].map((id) => [
      mem.flows.facilities.items.get(id)?.name,
      mem.flows.facilities.items.get(id)?.status,
    ]),
    [
      ['Clinic F1', 'active'],
      ['Clinic F2', 'active'],
      ['Clinic F3', 'active'],
    ],
    'unchanged',
  );
});

t.test("a batch's read entries within the batch's time; a transaction's, after its writes, are not", async (t) => {
  const { asked, slow, call } = await bounded(t);
  slow.reads = true;
  const read = { request: { method: 'GET', url: 'Location/F1' } };
  const batch = await call(
    'POST',
    '/fhir',
    bundle('batch', [read, { request: { method: 'PUT', url: 'Location/F2' }, resource: location('F2', 'F2') }]),
  );
  t.equal(batch.statusCode, 200, batch.body);
  const [first, second] = batch.json().entry;
  t.match(first.response, { status: /^504/, outcome: { issue: [{ code: 'timeout', diagnostics: /openlmis/ }] } });
  t.match(second.response, { status: /^200/ }, 'the other entry goes on');
  t.equal(asked.answered.length, 1, 'the read went through the batch bound');
  t.equal(asked.answered[0], asked.checked[0], "counted from the batch's start");

  const tx = await call('POST', '/fhir', bundle('transaction', [read]));
  t.equal(tx.statusCode, 200, tx.body);
  t.match(tx.json().entry[0].response, { status: /^200/ }, 'a transaction read is not bounded');
  t.equal(asked.answered.length, 1);
});
