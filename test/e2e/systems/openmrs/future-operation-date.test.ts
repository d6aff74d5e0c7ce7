/**
 * A store keeper's app whose phone clock runs ahead (or a typo in the year) posts an order or a
 * count dated in the future. OpenMRS's stockmanagement module refuses a stock operation dated
 * after its own clock (StockOperationDTOValidator, "operationdatenotfuture", which the sandbox
 * models): the write was sent, and answered with OpenMRS's bare 400 at the resource as a whole
 * (or, queued while OpenMRS was away, refused only once it was back). Now it is refused before
 * anything is recorded or sent, at the element that carries the date, OpenMRS up or down; the
 * same identifier with the date corrected is then a new write. Through the real mediator and the
 * OpenMRS sandbox, both store engines.
 */
import t from 'tap';
import { order } from '../../../support/openmrs-app-orders.js';
import { appCount } from '../../../support/openmrs-inventory-report.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startOpenMrsRigOn, why } from '../../../support/openmrs-e2e.js';

const AHEAD = '2099-01-01T08:00:00Z';
const created = (writes: Record<string, number>) => Object.keys(writes).filter((k) => k.includes('.create.'));

for (const engine of engineCases())
  t.test(
    `an order or a count dated in the future is refused at its date (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-future-date');
      const { sb, fhir } = rig;

      const early = await fhir('POST', '/fhir/SupplyRequest', { ...order('FUT-1', 20), authoredOn: AHEAD });
      t.equal(early.status, 422, why(early));
      t.same(
        early.body.issue.map((i: any) => i.expression),
        [['SupplyRequest.authoredOn']],
      );
      t.match(why(early), /^SupplyRequest\.authoredOn: 2099-01-01T08:00:00Z is in the future/);

      const ahead = structuredClone(appCount('CNT-FUT-1')) as any;
      ahead.inventoryListing[0].countingDateTime = AHEAD;
      const count = await fhir('POST', '/fhir/R5/InventoryReport', ahead);
      t.equal(count.status, 422, why(count));
      t.same(
        count.body.issue.map((i: any) => i.expression),
        [['InventoryReport.inventoryListing[0].countingDateTime']],
      );

      // no count time: the report's own date is the operation's
      const reported = structuredClone(appCount('CNT-FUT-2')) as any;
      delete reported.inventoryListing[0].countingDateTime;
      reported.reportedDateTime = AHEAD;
      const byReport = await fhir('POST', '/fhir/R5/InventoryReport', reported);
      t.equal(byReport.status, 422, why(byReport));
      t.same(
        byReport.body.issue.map((i: any) => i.expression),
        [['InventoryReport.reportedDateTime']],
      );
      t.same(created(sb.store.writes), [], 'nothing sent to OpenMRS');

      // OpenMRS away: refused all the same, not queued to be refused later
      const away = sb.faults.add({ path: '/openmrs/**', action: { type: 'status', status: 503 } });
      const queued = await fhir('POST', '/fhir/SupplyRequest', { ...order('FUT-2', 20), authoredOn: AHEAD });
      t.equal(queued.status, 422, `while OpenMRS is away: ${why(queued)}`);
      t.same(
        queued.body.issue.map((i: any) => i.expression),
        [['SupplyRequest.authoredOn']],
      );
      sb.faults.remove(away.id);

      // nothing was kept under these identifiers: corrected, each is a new write, made once
      const fixed = await fhir('POST', '/fhir/SupplyRequest', order('FUT-1', 20));
      t.equal(fixed.status, 201, why(fixed));
      const counted = await fhir('POST', '/fhir/R5/InventoryReport', appCount('CNT-FUT-1'));
      t.equal(counted.status, 201, why(counted));
      t.same(
        created(sb.store.writes).map((k) => [k, sb.store.writes[k]]),
        [
          ['stockoperation.create.requisition', 1],
          ['stockoperation.create.stocktake', 1],
        ],
      );
    },
  );

t.test('the OpenMRS sandbox refuses an operation dated after its clock, as the module does', async (t) => {
  const { startOpenMrsSandbox, ADMIN_PASSWORD } = await import('../../../../sandbox/openmrs/index.js');
  const sb = await startOpenMrsSandbox();
  t.teardown(() => sb.close());
  const res = await fetch(`${sb.url}/ws/rest/v1/stockmanagement/stockoperation`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ operationTypeUuid: sb.stock.typeUuid('receipt'), operationDate: AHEAD }),
  });
  t.equal(res.status, 400);
  t.match(await res.json(), {
    // the validator passes the resolved text as its code: RestUtil answers the text, never the key
    error: {
      code: 'webservices.rest.error.invalid.submission',
      fieldErrors: {
        operationDate: [
          { code: 'Operation date must not be in the future', message: 'Operation date must not be in the future' },
        ],
      },
    },
  });
});

for (const engine of engineCases())
  t.test(
    `OpenMRS's clock behind ours: a count of a minute ago is retried, not refused (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-clock-behind');
      const { sb, fhir } = rig;
      const stocktakes = () =>
        [...sb.stock.operations.values()].filter((o) => String(o.externalReference).endsWith('|CNT-BEHIND-1'));
      const count = structuredClone(appCount('CNT-BEHIND-1')) as any;
      count.inventoryListing[0].countingDateTime = new Date(Date.now() - 60_000).toISOString();

      sb.store.clockOffsetMs = -3_600_000; // OpenMRS an hour slow
      const posted = await fhir('POST', '/fhir/R5/InventoryReport', count);
      t.equal(posted.status, 202, `queued, not refused: ${why(posted)}`);
      t.match(why(posted), /OpenMRS's clock is behind/);
      t.same(stocktakes(), [], 'nothing made while OpenMRS refuses the date');

      sb.store.clockOffsetMs = 0; // its clock set right (or past the count's time)
      await until('the count approved', async () => stocktakes()[0]?.status === 'COMPLETED', 20_000);
      const again = await fhir('POST', '/fhir/R5/InventoryReport', count);
      t.equal(again.status, 200, `the same count again: ${why(again)}`);
      t.equal(stocktakes().length, 1, 'one stocktake');
      t.equal(sb.store.writes['stockoperation.create.stocktake'], 1, 'made once');
    },
  );

for (const engine of engineCases())
  t.test(
    `a phone's clock two minutes fast: its count is waited for, not refused (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-phone-fast');
      const { sb, fhir } = rig;
      const stocktakes = () =>
        [...sb.stock.operations.values()].filter((o) => String(o.externalReference).endsWith('|CNT-FAST-1'));
      const count = structuredClone(appCount('CNT-FAST-1')) as any;
      count.inventoryListing[0].countingDateTime = new Date(Date.now() + 120_000).toISOString();

      // OpenMRS's clock right: it refuses the count's time as in the future, as the module does
      const posted = await fhir('POST', '/fhir/R5/InventoryReport', count);
      t.equal(posted.status, 202, `queued, not refused: ${why(posted)}`);
      t.match(why(posted), /OpenMRS's clock is behind/);
      t.same(stocktakes(), [], 'nothing made before its time');

      sb.store.clockOffsetMs = 600_000; // OpenMRS's clock past the count's time
      await until('the count approved', async () => stocktakes()[0]?.status === 'COMPLETED', 20_000);
      t.equal(stocktakes().length, 1, 'one stocktake');
      t.equal(sb.store.writes['stockoperation.create.stocktake'], 1, 'made once');
    },
  );
