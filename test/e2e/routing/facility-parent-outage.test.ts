/**
 * A secondary facility job resolves its parent by asking the other systems which of them holds it
 * (routing/facility-parent.ts). A system that is down and does not hold the parent must not stop
 * the job: the parent is found in the system that does. Only when no system that answered holds
 * it does the outage decide, and then as a retry (transient), never as a refusal. Real connectors
 * and sandboxes, on both store engines.
 */
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startPropagationRigOn } from '../../support/propagation-rig.js';
import { systemParent } from '../../../src/routing/facility-parent.js';
import { UpstreamError } from '../../../src/domain/errors.js';
import { seedUid } from '../../../sandbox/dhis2/index.js';
import { openMrsArea, facilityUnder } from '../../support/openmrs-areas.js';

for (const engine of engineCases())
  t.test(
    `Open mSupply down while an OpenMRS job looks for its parent (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const deps = { connectors: rig.connectors.list(), store: rig.store };
      const mrsMberewa = await openMrsArea(rig, 'Mberewa District');
      // every GraphQL call answered 503: Open mSupply is down for the whole test
      rig.msupply.faults.add({ operation: '*', action: { type: 'status', status: 503 } });

      await t.test('a DHIS2 parent: found in DHIS2, the OpenMRS area of its name', async (t) => {
        const parent = await systemParent('openmrs', facilityUnder(seedUid('orgUnit:LKL-N-MBR')), deps);
        t.same(parent, { partOf: mrsMberewa }, 'resolved despite Open mSupply being down');
        t.ok(rig.msupply.faults.list()[0].hits > 0, 'Open mSupply was asked and failed');
      });

      await t.test('a parent no system that answered holds: retried, not refused', async (t) => {
        const err = await systemParent('openmrs', facilityUnder('Unknown0001'), deps).then(
          () => undefined,
          (e: unknown) => e,
        );
        t.ok(err instanceof UpstreamError, `an upstream error: ${String(err)}`);
        t.equal((err as UpstreamError).transient, true, 'transient: Open mSupply may hold it once it is back');
      });
    },
  );

for (const engine of engineCases())
  t.test(
    `Open mSupply hanging while an OpenMRS job looks for its parent (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // 5 s here; by default 20 s, and a query is sent up to three times: 60 s, as long as an
      // outbox attempt may run (attemptTimeoutMs)
      const rig = await startPropagationRigOn(t, engine, { env: { MSUPPLY_TIMEOUT_MS: '5000' } });
      const deps = { connectors: rig.connectors.list(), store: rig.store };
      const mrsMberewa = await openMrsArea(rig, 'Mberewa District');
      // Open mSupply takes every call and answers none until the test releases them, after the
      // parent is found; a call to it that ended before (answered, or given up on at the client's
      // timeout) shows in the mediator's own HTTP client (undici's diagnostics channel)
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      rig.msupply.faults.add({ operation: '*', action: { type: 'held', released } });
      const origin = new URL(rig.msupply.url).origin;
      const ended: string[] = [];
      const onHeaders = ({ request }: any) => void (request.origin === origin && ended.push('answered'));
      const onError = ({ request, error }: any) => void (request.origin === origin && ended.push(String(error)));
      diagnostics.subscribe('undici:request:headers', onHeaders);
      diagnostics.subscribe('undici:request:error', onError);
      t.teardown(() => {
        release();
        diagnostics.unsubscribe('undici:request:headers', onHeaders);
        diagnostics.unsubscribe('undici:request:error', onError);
      });
      const parent = await systemParent('openmrs', facilityUnder(seedUid('orgUnit:LKL-N-MBR')), deps);
      t.same(parent, { partOf: mrsMberewa }, 'found in DHIS2');
      t.ok(rig.msupply.faults.list()[0].hits > 0, 'Open mSupply was asked');
      t.same(ended, [], 'found while Open mSupply still held the call: without waiting for it');
      release();
    },
  );
