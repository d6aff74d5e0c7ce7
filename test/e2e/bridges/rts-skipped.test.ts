/**
 * Completed RTS requisition events that are no order (an org unit without a code, so Open mSupply
 * has no customer to find; a requisition of nothing): the run names each, with its facility and
 * why, in its detail (GET /admin/jobs, the console, `jobs list`), beside the requisitions it sent.
 * Before, they were only counted (`skipped: 2`) and the mark moved past them: nobody could tell
 * which facility's requisition was never fulfilled, or why.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { drain, instanceAOn, orgUnitOf, postRequisitions, responses } from './rts-rig.js';

for (const engine of engineCases()) {
  t.test(`${engine.name}: requisitions that are no order are named with why`, { skip: engine.skip }, async (t) => {
    const { sb, store, a } = await instanceAOn(t, engine);
    await postRequisitions(sb.dhis2, [
      { event: 'LkGoodReq01', facility: 'LK-HC-101', lines: { EM_ORS: 50 } },
      { event: 'LkZeroReq01', facility: 'LK-HC-102', lines: { EM_ORS: 0 } },
      { event: 'LkNoCodeRq1', facility: 'LK-HC-103', lines: { EM_ORS: 50 } },
    ]);
    // an org unit an administrator created without a code: mSupply's Dhis2Code has nothing to match
    const uncoded = orgUnitOf(sb.dhis2, 'LK-HC-103');
    sb.dhis2.state.orgUnits.get(uncoded)!.code = undefined;

    const run = await a.job.run();
    await drain(a.outbox, store);
    t.match(run, { counts: { read: 3, created: 1, skipped: 2 } });
    t.same(
      responses(sb.ms).map((r) => r.theirReference),
      ['LkGoodReq01'],
      'the good one is fulfilled, the others not',
    );
    const result = run as { skippedRequisitions?: unknown[]; detail?: string };
    // listed in the feed's order: events completed within one millisecond come in any order
    const byEvent = [...((result.skippedRequisitions ?? []) as { event: string }[])].sort((x, y) =>
      x.event.localeCompare(y.event),
    );
    t.match(
      byEvent,
      [
        { event: 'LkZeroReq01', facility: 'LK-HC-102', reason: 'no product has a quantity above zero' },
        { event: 'LkNoCodeRq1', facility: uncoded, reason: /has no code/ },
      ].sort((x, y) => x.event.localeCompare(y.event)),
    );
    t.match(
      result.detail,
      /^skipped: requisition event LkZeroReq01 of facility LK-HC-102: no product has a quantity above zero$/m,
    );
    t.match(
      result.detail,
      new RegExp(
        `^skipped: requisition event LkNoCodeRq1 of facility ${uncoded}: org unit ${uncoded} has no code`,
        'm',
      ),
    );
  });
}
