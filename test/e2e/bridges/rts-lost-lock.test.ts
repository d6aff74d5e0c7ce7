/**
 * An RTS → Open mSupply run whose job lock is lost mid-run (its PostgreSQL session died and another
 * instance took the lock: HeldAdvisoryLock aborts the signal with AdvisoryLockLost) stops before
 * its next write in every phase, not only among the requisitions: here the loss comes as Open
 * mSupply's shipments are read, and no consignment is written to DHIS2 nor the shipments' mark
 * moved (the scheduled job and `bridge rts-to-msupply` run the same function with the lock's
 * signal). Both engines.
 */
import t, { type Test } from 'tap';
import { runRtsToMsupply, shipmentsCursorOf } from '../../../src/bridges/rts-to-msupply.js';
import type { MsupplyConnector } from '../../../src/systems/msupply/index.js';
import { AdvisoryLockLost } from '../../../src/store/pg-held-lock.js';
import { engineCases } from '../../support/outbox-engines.js';
import { consignments, drain, instanceAOn, raiseRequisitions, shipAll } from './rts-rig.js';

for (const engine of engineCases())
  t.test(
    `${engine.name}: the lock lost as shipments are read: no consignment written, the run stops`,
    { skip: engine.skip },
    async (t: Test) => {
      const { sb, store, a } = await instanceAOn(t, engine);
      await raiseRequisitions(sb.dhis2, 2);
      await a.job.run();
      await drain(a.outbox, store);
      t.equal(shipAll(sb.ms).length, 2, 'two shipments to consign');
      // the supplying stores' marks (the regional store ships both, the central one nothing)
      const marks = () => Promise.all(['LK-WH-301', 'WH-CENTRAL'].map((c) => store.getCursor(shipmentsCursorOf(c))));
      const marksBefore = await marks();

      // the lock lost while Open mSupply answers the first read of shipments
      const lost = new AbortController();
      const msupply = a.deps.connectors().find((c) => c.system === 'msupply') as MsupplyConnector;
      const shipments = msupply.fulfilment.shipments.bind(msupply.fulfilment);
      msupply.fulfilment.shipments = async (...args) => {
        const read = await shipments(...args);
        if (!lost.signal.aborted)
          lost.abort(new AdvisoryLockLost('schedule:rtsToMsupply', 'another instance holds it'));
        return read;
      };
      await t.rejects(runRtsToMsupply(a.deps, lost.signal), { name: 'AdvisoryLockLost' }, 'the run stopped');
      await drain(a.outbox, store);
      t.same([...consignments(sb.dhis2).keys()], [], 'no consignment written after the lock was lost');
      t.same(await marks(), marksBefore, 'no shipments mark moved');

      // the lock kept: the next run consigns both
      msupply.fulfilment.shipments = shipments;
      const run = await runRtsToMsupply(a.deps);
      await drain(a.outbox, store);
      t.match(run.counts, { 'consignments.consigned': 2 });
      t.equal(consignments(sb.dhis2).size, 2);
    },
  );
