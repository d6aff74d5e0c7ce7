/**
 * An attempt the outbox abandoned (outbox.attemptTimeoutMs ran out) sends no further write. Its
 * retry looks, after outbox.settleMs, whether the write landed; a step begun in time whose slow
 * reads outlast the attempt would otherwise post afterwards, after that look, and the write would
 * land twice. Through the real OpenLMIS connector and its sandbox: a stock adjustment whose
 * stock card read is slow; one stock event, never two.
 */
import t from 'tap';
import { damagedStock, startRigOn, why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

for (const engine of engineCases()) {
  t.test(
    `an abandoned attempt posts nothing after its time (${engine.name})`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startRigOn(t, engine, {
        OUTBOX_ATTEMPT_TIMEOUT_MS: '1000',
        OUTBOX_LEASE_MS: '3000',
        OUTBOX_SETTLE_MS: '2000',
        OUTBOX_DEADLINE_MS: '500',
        OPENLMIS_TIMEOUT_MS: '6000',
      });
      const { lmis } = rig;
      const facilityId = lmis.seed.facilities['LK-HC-101'];
      const eventsBefore = lmis.sb.state.counts().stockEvents;
      const events = () => lmis.sb.state.counts().stockEvents - eventsBefore;
      // the stock card is read by the precheck, then by the attempt: its read outlasts the attempt,
      // and a post sent after it would land a second after the retry looked
      lmis.sb.faults.add({ method: 'GET', path: '/api/stockCards/*', action: { type: 'delay', ms: 2_500 }, times: 2 });
      for (const path of ['/api/stockEvents', '/api/public/stockEvents'])
        lmis.sb.faults.add({ method: 'POST', path, action: { type: 'delay', ms: 1_500 }, times: 1 });
      const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', damagedStock(facilityId, 'ABANDONED-1', 3));
      t.equal(posted.status, 202, `queued: ${why(posted)}`);
      await until('the adjustment delivered', async () => events() >= 1 || undefined, 30_000);
      // the abandoned attempt's post, had it gone, lands within 5 s of its start
      await new Promise((r) => setTimeout(r, 4_000));
      t.equal(events(), 1, 'one stock event, not two');
    },
  );
}
