/**
 * A facility under a district whose write is still queued waits for it, looking again after each
 * of the district's attempts (routing/linked-parent.ts). Each look is an attempt of the facility's
 * job, uncharged, and each used to add a row to the job's timeline (job_attempts): a district
 * stuck for a week (its system down) gave its facilities a row every 30-60 s, no cap, and the
 * admin API, the console and `cli outbox show` list only a job's first 200 rows, so the rows that
 * said what happened last (the delivery itself) were the ones left out. A look that repeats the
 * job's latest one (same attempt number, outcome and reason) now updates that row in place: its
 * times become the latest look's, `repeats` counts them and `firstStartedAt` says when the first
 * began. Through the DHIS2 sandbox and the admin API, on both store engines.
 */
import t from 'tap';
import { facilityJobOf, facilityWaitingForDistrict, startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { jobBody } from '../../../src/admin/ui/outbox-page.js';

const ADMIN_TOKEN = 'parent-wait-timeline-admin';

for (const engine of engineCases()) {
  t.test(
    `a facility waiting for its district keeps one timeline row for the wait (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(
        t,
        engine,
        { facilities: { default: 'dhis2' } },
        { OUTBOX_MAX_ATTEMPTS: '1000', ADMIN_TOKEN },
      );
      // DHIS2 takes 17 s to create the district: meanwhile its facility waits up to 3 s for it,
      // then looks again 2 s later, about 3 times
      const { district, waiting } = await facilityWaitingForDistrict(
        t,
        rig,
        { code: 'MFR-D21', name: 'Mpika District' },
        { code: 'MFR-F21', name: 'Mpika Rural Health Post' },
        17_000,
      );
      t.equal((await district).status, 202, 'the district outlasts its answer');
      await until(
        'the facility is delivered',
        async () => (await facilityJobOf(rig, 'Mpika Rural Health Post')).status === 'done',
        40_000,
      );
      const rows = await rig.mediator.store.listJobAttempts(waiting.id);
      t.equal(rows.length, 2, `one row for the wait, one for the delivery: ${JSON.stringify(rows)}`);
      const [wait, done] = rows;
      t.match(wait, { outcome: 'retry', detail: /parent Location\/.* is still waiting to be written/ });
      t.ok(wait.repeats! >= 2, `it counts the looks (${wait.repeats})`);
      t.ok(wait.firstStartedAt! < wait.startedAt, 'and says when the first began; its own times are the latest look');
      // the store's own times, against each other: the last look lasts less than the looks and
      // pauses before it took (a row timed from the first look would have nothing before it)
      t.ok(
        wait.endedAt - wait.startedAt < wait.startedAt - wait.firstStartedAt!,
        'so its duration is one look, not the whole wait',
      );
      t.match(done, { outcome: 'done' });
      t.equal(done.repeats, undefined, 'a row that stands for one attempt has no count');
      const shown = await rig.mediator.app.inject({
        method: 'GET',
        url: `/admin/outbox/jobs/${waiting.id}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      t.equal(shown.statusCode, 200, shown.body.slice(0, 300));
      const attempts = shown.json().attempts;
      t.equal(attempts.length, 2, `the wait and the delivery: ${JSON.stringify(attempts)}`);
      t.match(attempts[0], {
        outcome: 'retry',
        repeats: wait.repeats,
        firstStartedAt: new Date(wait.firstStartedAt!).toISOString(),
      });
      t.match(attempts[1], { outcome: 'done' });
      t.notOk('repeats' in attempts[1], 'a row that stands for one attempt has no count');
      const page = jobBody(shown.json(), Date.now()).value;
      t.match(
        page,
        new RegExp(
          `failed, to be retried</strong>, ${wait.repeats} times since ${attempts[0].firstStartedAt} \\(the latest attempt took`,
        ),
        "the console's timeline says how many times and since when",
      );
    },
  );
}
