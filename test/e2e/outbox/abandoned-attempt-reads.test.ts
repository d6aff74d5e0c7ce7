/**
 * A read (a GET) made for a delivery attempt ends when the outbox abandons the attempt
 * (outbox.attemptTimeoutMs): nobody waits for its answer any more, and left running it held a
 * connection of OpenLMIS's pool until openlmis.timeoutMs. A client's own request (the precheck's
 * read of the same stock card) is no attempt and runs to its answer. The write is still delivered
 * once, by the retry. Through the real OpenLMIS connector and its sandbox, which sees the read's
 * connection closed without an answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import t from 'tap';
import { damagedStock, startRigOn, why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

interface SeenRead {
  /** set when its connection closed */
  ended?: boolean;
  answered?: boolean;
}

for (const engine of engineCases()) {
  t.test(
    `an abandoned attempt's read ends with it (${engine.name})`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startRigOn(t, engine, {
        OUTBOX_ATTEMPT_TIMEOUT_MS: '1000',
        OUTBOX_LEASE_MS: '3000',
        OUTBOX_SETTLE_MS: '500',
        OUTBOX_DEADLINE_MS: '500',
        OPENLMIS_TIMEOUT_MS: '20000',
      });
      const { lmis } = rig;
      const facilityId = lmis.seed.facilities['LK-HC-101'];
      const eventsBefore = lmis.sb.state.counts().stockEvents;
      // every stock card read the sandbox gets, and how it ended
      const reads: SeenRead[] = [];
      lmis.sb.app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (req.method !== 'GET' || !req.url?.startsWith('/api/stockCards/')) return;
        const read: SeenRead = {};
        reads.push(read);
        res.once('close', () => {
          read.ended = true;
          read.answered = res.writableFinished;
        });
      });
      // the precheck's read, then the first attempt's: each answered after 3 s (the checks are given
      // 5 s at least, the attempt 1 s)
      lmis.sb.faults.add({ method: 'GET', path: '/api/stockCards/*', action: { type: 'delay', ms: 3_000 }, times: 2 });
      const posted = await rig.fhir(
        'POST',
        '/fhir/R5/InventoryReport',
        damagedStock(facilityId, 'ABANDONED-READ-1', 2),
      );
      t.equal(posted.status, 202, `queued: ${why(posted)}`);
      t.ok(reads[0]?.answered, "the precheck's read (a client's request, no attempt) ran to its answer");
      await until('the attempt read ended', async () => reads[1]?.ended || undefined, 30_000);
      // its answer was due after 3 s; the only other end of it is openlmis.timeoutMs (20 s), so a
      // read closed without its answer was ended with the attempt (1 s)
      t.equal(reads[1].answered, false, "the attempt's read was closed without its answer, with the attempt");
      await until(
        'the adjustment delivered',
        async () => lmis.sb.state.counts().stockEvents - eventsBefore >= 1 || undefined,
        30_000,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      t.equal(lmis.sb.state.counts().stockEvents - eventsBefore, 1, 'one stock event, by the retry');
    },
  );
}
