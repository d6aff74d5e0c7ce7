/**
 * A bad day for an order, end to end with the real mediator process: it is SIGKILLed between
 * initiating the requisition and submitting it, and restarted on the same database. The journal
 * resumes after the completed steps, so OpenLMIS ends with exactly one submitted requisition.
 * Token expiry and a 503 in the middle of the flow end the same way (in-process rig).
 */
import t from 'tap';
import { why } from '../../../support/openlmis-e2e.js';
import { startHarness } from '../../../unit/sandbox/openlmis/helpers.js';
import { openLmisEnv, orderLine, startRig, transactionOf } from '../../../support/openlmis-e2e.js';
import { answerOf, startMediatorProcess } from '../../../support/mediator-process.js';
import { until } from '../../../support/net.js';

t.test('SIGKILL between initiate and submit: one submitted requisition after restart', async (t) => {
  const lmis = await startHarness();
  const mediator = await startMediatorProcess('lmis-crash', {
    ...openLmisEnv(lmis.sb.url),
    OUTBOX_DEADLINE_MS: '1500',
  });
  t.teardown(async () => {
    await mediator.close();
    await lmis.sb.close();
  });

  // The fill step (PUT of the requisition) hangs once: the initiate is done upstream when we kill.
  lmis.sb.faults.add({ method: 'PUT', path: '/api/requisitions/*', action: { type: 'hang' }, times: 1 });
  const facilityId = lmis.seed.facilities['LK-HC-102'];
  const bundle = transactionOf(
    ['EM-AMX250', 'EM-ORS'].map((productCode) =>
      orderLine({ order: 'CRASH-1', facilityId, program: 'EM01', productCode, qty: 200 }),
    ),
  );
  const ofFacility = () =>
    lmis.sb.state
      .requisitionsByStatus()
      .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01);
  const res = answerOf(await mediator.fhir('POST', '/fhir', bundle));
  t.equal(res.status, 200);
  const body = res.body;
  t.match(body.entry[0].response.status, /^202/, 'accepted, still in flight');
  t.equal(ofFacility().length, 1, 'the requisition was initiated');
  t.equal(ofFacility()[0].status, 'INITIATED');

  await mediator.kill();
  const gone = await fetch(`${mediator.base}/health`).then(
    () => false,
    () => true,
  );
  t.ok(gone, 'the killed mediator no longer answers (the process itself died, not a wrapper)');
  await mediator.restart();
  await until(
    'the requisition submitted',
    async () => ofFacility().some((r: any) => r.status === 'SUBMITTED') || undefined,
    60_000,
  );
  await new Promise((r) => setTimeout(r, 500));
  t.equal(ofFacility().length, 1, 'exactly one requisition');
  t.equal(ofFacility()[0].status, 'SUBMITTED');
  const read = answerOf(await mediator.fhir('GET', '/fhir/SupplyRequest?identifier=CRASH-1'));
  const found = read.body.entry ?? [];
  t.equal(found.length, 2, 'both lines read back');
  t.ok(found.every((e: any) => e.resource.status === 'active'));
});

t.test('token expiry mid-flow and a 503 on submit: one submitted requisition each', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { lmis } = rig;
  const cases = [
    {
      facility: 'LK-HC-103',
      fault: { method: 'POST', path: '/api/requisitions/*/submit', action: { type: 'expireToken' as const }, times: 1 },
    },
    {
      facility: 'LK-DH-201',
      fault: {
        method: 'POST',
        path: '/api/requisitions/*/submit',
        action: { type: 'status' as const, status: 503 },
        times: 1,
      },
    },
  ];
  for (const c of cases) {
    const facilityId = lmis.seed.facilities[c.facility];
    lmis.sb.faults.add(c.fault);
    const bundle = transactionOf(
      ['EM-AMX250', 'EM-ZNC20'].map((productCode) =>
        orderLine({ order: `BAD-${c.facility}`, facilityId, program: 'EM01', productCode, qty: 100 }),
      ),
    );
    const res = await rig.fhir('POST', '/fhir', bundle);
    t.equal(res.status, 200, why(res));
    const ofFacility = () =>
      lmis.sb.state
        .requisitionsByStatus()
        .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01);
    await until(
      `${c.facility} submitted`,
      async () => ofFacility().some((r: any) => r.status === 'SUBMITTED') || undefined,
      30_000,
    );
    t.equal(ofFacility().length, 1, `${c.fault.action.type}: exactly one requisition`);
    t.equal(ofFacility()[0].status, 'SUBMITTED');
  }
});
