/**
 * Two POST entries of one transaction for the same product of the same order are the same order
 * line (its id comes from the order number and the product). The transaction answered both 201
 * with the later quantity and wrote only that one: the first entry's 10 was dropped while its
 * answer said it was created. FHIR's transaction rule (http.html#trules) fails overlapping
 * identities, as the mediator already did for two PUTs of one id: now a 400 naming both entries,
 * nothing recorded or sent. Through the real mediator and the OpenLMIS sandbox, both engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, startRigOn, transactionOf, why, writesSince } from '../../support/openlmis-e2e.js';

for (const engine of engineCases()) {
  t.test(`${engine.name}: one order line twice in a transaction is a 400`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    const line = (qty: number, productCode = 'EM-ORS') =>
      orderLine({
        order: 'TWICE-1',
        facilityId: rig.lmis.seed.facilities['LK-HC-101'],
        program: 'EM01',
        productCode,
        qty,
      });
    const logFrom = rig.lmis.sb.state.requestLog(0).length;

    for (const [name, second] of [
      ['another quantity', line(20)],
      ['the same content', line(10)],
    ] as const) {
      const res = await rig.fhir('POST', '/fhir', transactionOf([line(10), line(5, 'EM-AMX250'), second]));
      t.equal(res.status, 400, `${name}: ${why(res)}`);
      t.match(res.body.issue, [
        {
          code: 'invalid',
          expression: ['Bundle.entry[2].resource'],
          diagnostics:
            /Bundle\.entry\[2\] is the same order line as Bundle\.entry\[0\] \(SupplyRequest\/[0-9a-f]+\).*at most once/,
        },
      ]);
    }
    t.same(writesSince(rig, logFrom), [], 'nothing written to OpenLMIS');
    t.same(await rig.mediator.store.listJobs(), [], 'nothing recorded');

    const ok = await rig.fhir('POST', '/fhir', transactionOf([line(10), line(5, 'EM-AMX250')]));
    t.equal(ok.status, 200, why(ok));
  });
}
