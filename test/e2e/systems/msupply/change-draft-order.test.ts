/**
 * An order whose first write to Open mSupply was given up before the send (its request
 * requisition a DRAFT holding both lines), then changed by the client: one of its two lines
 * cancelled. The change finishes the requisition with the order's lines as they now are, so the
 * cancelled line is deleted before the send, never requested from the supplier. Through the real
 * mediator, its outbox and routing, the connector and the mSupply sandbox, on both store engines.
 */
import t from 'tap';
import { orderLine, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const ENV = { OPENLMIS_BASE_URL: '', OUTBOX_SETTLE_MS: '100', OUTBOX_MAX_ATTEMPTS: '1' };

const lineOf = (product: string, id: string) => ({
  ...orderLine({ order: 'MS-DRAFT-1', facilityId: STORE, program: 'EM01', productCode: product, qty: 40 }),
  id,
});
const put = (r: { id: string }) => ({ resource: r, request: { method: 'PUT', url: `SupplyRequest/${r.id}` } });

for (const engine of engineCases())
  t.test(
    `${engine.name}: a line cancelled from a DRAFT order is not sent`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, ENV);
      rig.ms.faults.add({
        operation: 'updateRequestRequisition',
        action: { type: 'graphqlError', message: 'Internal error' },
      });
      const first = await rig.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [put(lineOf('EM-AMX250', 'ms-draft-1a')), put(lineOf('EM-ORS', 'ms-draft-1b'))],
      });
      // given up within the request's deadline: the client is told so (a 502 naming the outbox job)
      t.comment(`first write: ${first.status} ${why(first)}`);
      await until('the first write given up', async () => {
        const jobs = await rig.mediator.store.listJobs({});
        return jobs.find((j) => j.system === 'msupply' && ['dead', 'rejected', 'done'].includes(j.status));
      });
      const [draft] = [...rig.ms.state.requisitions.values()].filter((r: any) => r.theirReference === 'MS-DRAFT-1');
      t.equal(draft?.status, 'DRAFT', 'a DRAFT with both lines');
      rig.ms.faults.clear();
      const dropped = await rig.fhir('DELETE', '/fhir/SupplyRequest/ms-draft-1b');
      t.ok(dropped.status < 300, `the line cancelled: ${dropped.status} ${why(dropped)}`);
      await until('the requisition sent', async () => (draft.status === 'SENT' ? true : undefined));
      t.same(
        rig.ms.state.linesOf(draft.id).map((l: any) => rig.ms.state.items.get(l.itemId)!.code),
        ['AMX250T'],
        'only the line the order still has',
      );
    },
  );
