/**
 * Open mSupply end to end (issue 12 "Must show", orders): the real mediator with the OpenLMIS and
 * Open mSupply sandboxes both configured, and a routing.json rule sending one facility's orders
 * to Open mSupply. An order posted as a transaction Bundle reaches the mSupply sandbox exactly
 * once — a SENT request requisition with its lines in units, the warehouse's response requisition
 * beside it — even though the answer to its insert is lost (the connection drops after the write)
 * and the Bundle is posted again; OpenLMIS never sees it; reading back gives the posted ids.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMsupplySandbox } from '../../../../sandbox/msupply/index.js';
import { ORDER_SYSTEM, RIG_AUTH, orderLine, startRig, transactionOf, why } from '../../../support/openlmis-e2e.js';
import { until } from '../../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const STORE = 'store-hc-north';

t.test(
  'an order for an mSupply facility reaches Open mSupply exactly once, across a lost answer and a retry',
  async (t) => {
    const ms = await startMsupplySandbox();
    const mappings = mkdtempSync(path.join(tmpdir(), 'msupply-mappings-'));
    cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
    writeFileSync(
      path.join(mappings, 'routing.json'),
      JSON.stringify({
        flows: {
          orders: {
            rules: [{ name: 'Open mSupply stores', when: { facility: [STORE] }, system: 'msupply' }],
            default: 'openlmis',
          },
          deliveries: { default: 'openlmis' },
          stock: { default: 'openlmis' },
          facilities: { default: 'openlmis' },
        },
      }),
    );
    const rig = await startRig({
      MAPPINGS_DIR: mappings,
      MSUPPLY_BASE_URL: ms.url,
      MSUPPLY_USERNAME: 'mediator',
      MSUPPLY_PASSWORD: 'password',
      MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
      OUTBOX_SETTLE_MS: '200',
      OUTBOX_BACKOFF_BASE_MS: '50',
      OUTBOX_BACKOFF_CAP_MS: '200',
    });
    t.teardown(async () => {
      await rig.close();
      await ms.close();
      rmSync(mappings, { recursive: true, force: true });
    });
    const requests = () => [...ms.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
    const inserts = () => ms.state.applied.filter((a) => a.mutation === 'insertRequestRequisition').length;
    const lmisRequisitionsBefore = rig.lmis.sb.state.counts().requisitions;

    const ready = await fetch(`${rig.mediator.url}/ready`, { headers: { authorization: RIG_AUTH } });
    t.match(await ready.text(), /msupply/, '/ready lists the Open mSupply connector');

    // the insert is applied, then its answer is lost: the connector cannot know it happened
    ms.faults.add({ operation: 'insertRequestRequisition', action: { type: 'afterApply', answer: 'reset' }, times: 1 });
    const bundle = transactionOf([
      orderLine({ order: 'MS-ORD-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 300 }),
      orderLine({ order: 'MS-ORD-1', facilityId: STORE, program: 'EM01', productCode: 'EM-ORS', qty: 2, packs: true }),
    ]);
    const posted = await rig.fhir('POST', '/fhir', bundle);
    t.equal(posted.status, 200, why(posted));
    t.ok(
      posted.body.entry.every((e: any) => /^20[12]/.test(e.response.status)),
      'each line accepted (created, or queued for retry)',
    );
    const sent = await until(
      'the requisition SENT in Open mSupply',
      async () => requests().find((r) => r.status === 'SENT'),
      30_000,
    );

    t.equal(ms.faults.list()[0].hits, 1, 'the answer to the insert was lost once');
    t.equal(requests().length, 1, 'exactly one request requisition');
    t.equal(inserts(), 1, 'inserted once: the retry found it by its derived id');
    t.equal(sent.storeId, STORE);
    t.equal(sent.theirReference, 'MS-ORD-1');
    const units = ms.state
      .linesOf(sent.id)
      .map((l) => [ms.state.items.get(l.itemId)!.code, l.requestedQuantity])
      .sort();
    t.same(
      units,
      [
        ['AMX250T', 300],
        ['ORS205S', 100],
      ],
      '300 units as sent; 2 packs of 50 → 100 units',
    );
    t.equal(ms.state.counts().responseRequisitions, 1, "the warehouse's response requisition appeared");
    t.equal(
      rig.lmis.sb.state.counts().requisitions,
      lmisRequisitionsBefore,
      'OpenLMIS got nothing: the rule routed the order to Open mSupply',
    );

    const again = await rig.fhir('POST', '/fhir', bundle);
    t.equal(again.status, 200, why(again));
    await new Promise((r) => setTimeout(r, 500));
    t.equal(requests().length, 1, 'posting the Bundle again creates nothing');
    t.equal(inserts(), 1);

    const read = await rig.fhir(
      'GET',
      `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDER_SYSTEM}|MS-ORD-1`)}`,
    );
    t.equal(read.status, 200, why(read));
    const postedIds = posted.body.entry.map((e: any) => /SupplyRequest\/([^/]+)/.exec(e.response.location)![1]).sort();
    const readIds = read.body.entry.map((e: any) => e.resource.id).sort();
    t.same(readIds, postedIds, 'reading back gives the SupplyRequests that were posted');
    t.ok(
      read.body.entry.every((e: any) => e.resource.status === 'active'),
      'SENT reads as active',
    );
  },
);
