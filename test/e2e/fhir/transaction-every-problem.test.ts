/**
 * A transaction Bundle with several entries wrong at the level of their request (no request, a
 * fullUrl that is no URI, a URL no interaction has, a PUT without an id, a reference to no entry)
 * beside entries wrong in their resource or their facility: one OperationOutcome names every
 * entry's problems (`Bundle.entry[n]…`), the good entry is not blamed, and nothing is written. The
 * first malformed entry stopped the checks, and so did a flow with no system configured (501),
 * leaving the rest for the client's next round trips. Through the real mediator, with the OpenLMIS
 * sandbox and, for flows no system serves, the DHIS2 sandbox alone; on both store engines.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, requisitionsAt, startRigOn, type Rig } from '../../support/openlmis-e2e.js';
import { STOCK_TO_DHIS2, startDhis2RigOn } from '../../support/dhis2-e2e.js';

/** Everything the mediator's store keeps about writes. */
async function stored(rig: Rig): Promise<string> {
  const store = rig.mediator.store;
  return JSON.stringify({ jobs: await store.listJobs(), counts: await store.countJobsByStatus() });
}

/** Each issue as `expression: diagnostics`, for a failure message that says what was answered. */
const said = (body: any) => (body?.issue ?? []).map((i: any) => `${i.expression?.[0]}: ${i.diagnostics}`).join('\n');

/** The entries an outcome names, each once, in order. */
const entriesNamed = (body: any): number[] => [
  ...new Set<number>(
    (body?.issue ?? []).flatMap((i: any) =>
      (i.expression ?? []).map((e: string) => Number(/^Bundle\.entry\[(\d+)\]/.exec(e)?.[1] ?? -1)),
    ),
  ),
];

for (const engine of engineCases()) {
  t.test(
    `entries malformed in their request, named with the rest (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const facilityId = (code: string) => rig.lmis.seed.facilities[code];
      const line = (order: string, facility: string) =>
        orderLine({ order, facilityId: facility, program: 'EM01', productCode: 'EM-ORS', qty: 10 });
      const post = (resource: any) => ({
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource,
        request: { method: 'POST', url: 'SupplyRequest' },
      });
      const toNoEntry = line('EVERY-5', facilityId('LK-HC-103'));
      toNoEntry.deliverTo.reference = `urn:uuid:${randomUUID()}`;
      const entry = [
        post(line('EVERY-0', facilityId('LK-HC-104'))),
        { ...post(line('EVERY-1', facilityId('LK-HC-102'))), request: { method: 'POST', url: 'SupplyRequest/a/b' } },
        { ...post(line('EVERY-2', facilityId('LK-HC-102'))), fullUrl: 'not a uri' },
        { fullUrl: `urn:uuid:${randomUUID()}`, resource: line('EVERY-3', facilityId('LK-HC-102')) },
        { ...post(line('EVERY-4', facilityId('LK-HC-102'))), request: { method: 'PUT', url: 'SupplyRequest' } },
        post(toNoEntry),
        post(line('EVERY-6', randomUUID())),
      ];
      const [lmisBefore, storeBefore] = [JSON.stringify([...rig.lmis.sb.state.store.requisitions]), await stored(rig)];
      const res = await rig.fhir('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry });
      t.equal(res.status, 400, `a malformed entry decides the status:\n${said(res.body)}`);
      t.same(entriesNamed(res.body), [1, 2, 3, 4, 5, 6], `every bad entry named, the good one not:\n${said(res.body)}`);
      const at = (e: string) => res.body.issue.find((i: any) => i.expression?.[0] === e);
      t.match(at('Bundle.entry[1].request.url'), { diagnostics: /is not \[type\], \[type\]\/\[id\]/ });
      t.match(at('Bundle.entry[2].fullUrl'), { diagnostics: /must be an absolute URI/ });
      t.match(at('Bundle.entry[3].request'), { diagnostics: /request with method and url is required/ });
      t.match(at('Bundle.entry[4].request.url'), { diagnostics: /must be \[type\]\/\[id\] for PUT/ });
      t.match(at('Bundle.entry[5].resource.deliverTo.reference'), {
        diagnostics: /names no entry of this transaction/,
      });
      t.ok(at('Bundle.entry[6].resource.deliverTo'), 'the unknown facility, checked although others are malformed');
      t.equal(JSON.stringify([...rig.lmis.sb.state.store.requisitions]), lmisBefore, 'OpenLMIS unchanged');
      t.equal(await stored(rig), storeBefore, 'nothing recorded');
      t.equal(requisitionsAt(rig, 'LK-HC-104').length, 0, 'the good order neither');
    },
  );

  t.test(`a flow with no system configured, named with the rest (${engine.name})`, { skip: engine.skip }, async (t) => {
    // DHIS2 alone, with no RTS program: it takes facilities and stock, no orders and no deliveries
    const rig = await startDhis2RigOn(t, engine, STOCK_TO_DHIS2);
    const badLocation = { resourceType: 'Location', id: 'every-loc', name: 'Nowhere Clinic', status: 'bogus' };
    const entry = [
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: orderLine({ order: 'NONE-1', facilityId: 'x', program: 'EM01', productCode: 'EM-ORS', qty: 5 }),
        request: { method: 'POST', url: 'SupplyRequest' },
      },
      { resource: badLocation, request: { method: 'PUT', url: 'Location/every-loc' } },
      { request: { method: 'GET', url: 'SupplyDelivery?status=completed' } },
      { request: { method: 'GET', url: 'SupplyRequest/a/b' } },
    ];
    const storeBefore = await stored(rig);
    const res = await rig.fhir('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry });
    t.equal(res.status, 400, `the problem the client can fix decides the status:\n${said(res.body)}`);
    t.same(entriesNamed(res.body).sort(), [0, 1, 2, 3], said(res.body));
    const at = (e: string) => res.body.issue.filter((i: any) => i.expression?.[0] === e);
    t.match(at('Bundle.entry[0].request.url'), [
      { diagnostics: /^Bundle\.entry\[0\]: No connector is configured for SupplyRequest/ },
    ]);
    t.match(at('Bundle.entry[2].request.url'), [{ diagnostics: /No connector is configured for SupplyDelivery/ }]);
    t.ok(at('Bundle.entry[1].resource.status').length, 'the Location checked too');
    t.ok(at('Bundle.entry[3].request.url').length, 'and the malformed URL');
    t.equal(await stored(rig), storeBefore, 'nothing recorded');
    const writes = [...rig.dhis2.state.hits.keys()].filter((k) => !k.startsWith('GET '));
    t.same(writes, [], 'nothing sent to DHIS2');

    // the flows not configured alone: 501, each named
    const alone = await rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [entry[0], entry[2]],
    });
    t.equal(alone.status, 501, said(alone.body));
    t.same(entriesNamed(alone.body), [0, 1], said(alone.body));
  });
}
