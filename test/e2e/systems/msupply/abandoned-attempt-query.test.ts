/**
 * An Open mSupply query (a GraphQL read, sent as a POST) made for a delivery attempt ends when
 * the outbox abandons the attempt, as a GET does (attempt-scope.ts): left running it held a
 * connection until msupply.timeoutMs for an answer nobody read. Mutations never end early. The
 * order is still delivered once, by the retry. Through the real connector and the mSupply
 * sandbox; the mediator's own HTTP client (undici's diagnostics channel) shows the query cut off.
 */
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import { orderLine, transactionOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

for (const engine of engineCases())
  t.test(
    `${engine.name}: an abandoned attempt's query ends with it`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, FLOWS, {
        OPENLMIS_BASE_URL: '',
        OUTBOX_ATTEMPT_TIMEOUT_MS: '1000',
        OUTBOX_LEASE_MS: '3000',
        OUTBOX_SETTLE_MS: '500',
        OUTBOX_DEADLINE_MS: '500',
        MSUPPLY_TIMEOUT_MS: '20000',
      });
      const origin = new URL(rig.ms.url).origin;
      // requests to the sandbox that ended in an error (an abort)
      const failed: string[] = [];
      const onError = ({ request, error }: any) => {
        if (request.origin === origin) failed.push(`${error?.name}: ${error?.message}`);
      };
      diagnostics.subscribe('undici:request:error', onError);
      // the attempt's look for the requisition (a query) is held by the sandbox until the test
      // releases it, after the mediator gave up on it: nothing but the mediator ends it before
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      rig.ms.faults.add({ operation: 'requisition', action: { type: 'held', released }, times: 1 });
      t.teardown(() => {
        release();
        diagnostics.unsubscribe('undici:request:error', onError);
      });
      const requests = () =>
        [...rig.ms.state.requisitions.values()].filter(
          (r: any) => r.type === 'REQUEST' && r.theirReference === 'MS-ABANDON-1',
        );
      const posted = await rig.fhir(
        'POST',
        '/fhir',
        transactionOf([
          orderLine({ order: 'MS-ABANDON-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 20 }),
        ]),
      );
      t.equal(posted.status, 200, `accepted: ${why(posted)}`);
      await until('the query cut off', async () => failed.length > 0 || undefined, 30_000);
      t.equal(failed.length, 1, 'one request to Open mSupply ended without its answer');
      t.match(
        failed[0],
        /^AttemptTimeoutError: delivery attempt timed out/,
        'ended with the abandoned attempt (1 s), not at the client timeout (20 s)',
      );
      release();
      await until('the order delivered', async () => requests()[0]?.status === 'SENT' || undefined, 30_000);
      t.equal(requests().length, 1, 'one requisition');
    },
  );
