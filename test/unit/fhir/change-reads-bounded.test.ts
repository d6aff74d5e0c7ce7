/**
 * A write's reads before it is recorded share one bound (routing/checks-deadline.ts):
 * - a PUT's (and a DELETE's) read of the resource it changes goes through the services' bound
 *   (FhirServices.checked), counted from when the change began; before, it ran outside it, so a
 *   system hanging there answered past OpenHIM's channel timeout. Past the bound: 504, nothing written.
 * - every entry of a batch Bundle counts from the batch's start (WriteContext.checksSince), so a
 *   batch answers within one bound, not one per entry after another.
 */
import t from 'tap';
import { ChecksTooSlowError } from '../../../src/domain/errors.js';
import type { WriteContext } from '../../../src/fhir/services.js';
import { fhirJson, testApp } from '../../support/app.js';
import { memoryServices } from '../../support/memory-services.js';

const location = (id: string | undefined, code: string) => ({
  resourceType: 'Location',
  ...(id ? { id } : {}),
  status: 'active',
  name: `Clinic ${code}`,
  identifier: [{ system: 'urn:test:facility', value: code }],
});

/** Memory services whose writes' contexts are kept, and whose bound on a change's reads is `checked`. */
function watched(checked: (reads: () => Promise<unknown>, since: number) => Promise<unknown>) {
  const mem = memoryServices();
  const contexts: WriteContext[] = [];
  const asked: number[] = [];
  const write = mem.flows.facilities.write.bind(mem.flows.facilities);
  mem.flows.facilities.write = ((value: any, context: WriteContext) => {
    contexts.push(context);
    return write(value);
  }) as typeof write;
  mem.services.checked = (<T>(reads: () => Promise<T>, since: number) => {
    asked.push(since);
    return checked(reads, since) as Promise<T>;
  }) as typeof mem.services.checked;
  return { mem, contexts, asked };
}

t.test("a PUT whose read of what it changes outlasts the checks' bound: 504, nothing written", async (t) => {
  let slow = false;
  const { mem, contexts, asked } = watched((reads) =>
    slow ? Promise.reject(new ChecksTooSlowError(['openlmis'], 5_000, 1_000)) : reads(),
  );
  const { app } = await testApp({ services: mem.services });
  t.teardown(() => app.close());
  const put = (body: unknown) =>
    app.inject({ method: 'PUT', url: '/fhir/Location/F1', headers: fhirJson, payload: JSON.stringify(body) });
  t.equal((await put(location('F1', 'F1'))).statusCode, 201, 'written');
  t.equal(asked.length, 1, 'its read went through the bound');
  t.equal(contexts[0].checksSince, asked[0], "the write's checks count from that read's start");

  slow = true;
  const res = await put({ ...location('F1', 'F1'), name: 'Clinic F1 renamed' });
  t.equal(res.statusCode, 504, res.body);
  t.match(res.json().issue, [{ code: 'timeout', diagnostics: /openlmis.*nothing was written/ }]);
  t.equal(contexts.length, 1, 'no second write');
  t.equal(mem.flows.facilities.items.get('F1')?.name, 'Clinic F1', 'unchanged');

  const del = await app.inject({ method: 'DELETE', url: '/fhir/Location/F1', headers: fhirJson });
  t.equal(del.statusCode, 504, `a DELETE's read alike: ${del.body}`);
  t.equal(mem.flows.facilities.items.get('F1')?.status, 'active', 'not deactivated');
});

t.test("a batch's entries count from the batch's start: one bound for all", async (t) => {
  const { mem, contexts } = watched((reads) => reads());
  const { app } = await testApp({ services: mem.services });
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: fhirJson,
    payload: JSON.stringify({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'POST', url: 'Location' }, resource: location(undefined, 'B1') },
        { request: { method: 'POST', url: 'Location' }, resource: location(undefined, 'B2') },
        { request: { method: 'PUT', url: 'Location/B3' }, resource: location('B3', 'B3') },
      ],
    }),
  });
  t.equal(res.statusCode, 200, res.body);
  t.equal(contexts.length, 3, 'every entry written');
  t.type(contexts[0].checksSince, 'number');
  t.same(
    contexts.map((c) => c.checksSince),
    contexts.map(() => contexts[0].checksSince),
    "every entry's checks count from the batch's start",
  );
});
