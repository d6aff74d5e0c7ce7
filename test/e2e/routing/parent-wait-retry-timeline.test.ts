/**
 * An operator's retry of a facility waiting for its district (admin API, `?status=pending`)
 * starts its attempts over at 1; the facility's looks at the district before the retry and after
 * it are the same uncharged attempt 1 with the same reason, and each repeat of the timeline's
 * newest row is counted in it (repeated-attempts.ts). The first look after the retry used to be
 * counted in the row from before it: that row then ran from before the retry to after it, and the
 * console, which places each row at its end, showed the retry before every look. Now a look is
 * counted only in a row of the same attempt budget (operator-retries.ts): the looks before the
 * retry, the retry, the looks after it, the delivery. Through the DHIS2 sandbox and the admin
 * API, on both store engines.
 */
import t from 'tap';
import { facilityJobOf, facilityWaitingForDistrict, startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { jobBody } from '../../../src/admin/ui/outbox-page.js';

const ADMIN_TOKEN = 'parent-wait-retry-timeline-admin';

// each engine's case spends most of its time waiting for DHIS2's slow district: both wait at once
// (own rig, own database)
t.jobs = 2;

for (const engine of engineCases()) {
  t.test(
    `an operator's retry of a facility waiting for its district shows between its looks (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(
        t,
        engine,
        { facilities: { default: 'dhis2' } },
        { OUTBOX_MAX_ATTEMPTS: '1000', ADMIN_TOKEN },
      );
      const admin = (method: 'GET' | 'POST', url: string) =>
        rig.mediator.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      // DHIS2 takes 20 s to create the district: its facility looks for it every 3 + 2 s meanwhile
      const { district, waiting } = await facilityWaitingForDistrict(
        t,
        rig,
        { code: 'MFR-D31', name: 'Chinsali District' },
        { code: 'MFR-F31', name: 'Chinsali Rural Health Post' },
        20_000,
      );
      // the operator retries it while it waits between two looks (a look under way answers 409)
      const retriedAt = await until('the operator retried the waiting facility', async () => {
        const [first] = await rig.mediator.store.listJobAttempts(waiting.id);
        if (!first?.repeats) return undefined;
        const at = Date.now();
        const retry = await admin('POST', `/admin/outbox/jobs/${waiting.id}/retry?status=pending`);
        return retry.statusCode === 200 ? at : undefined;
      });
      t.equal((await district).status, 202, 'the district outlasts its answer');
      await until(
        'the facility is delivered',
        async () => (await facilityJobOf(rig, 'Chinsali Rural Health Post')).status === 'done',
        60_000,
      );

      const rows = await rig.mediator.store.listJobAttempts(waiting.id);
      const looks = rows.filter((r) => r.outcome === 'retry');
      t.match(looks, [{ detail: /parent Location\/.* is still waiting to be written/ }], 'the looks at the district');
      t.match(rows.at(-1), { outcome: 'done' }, 'then the delivery');
      t.ok(
        looks.some((r) => r.startedAt < retriedAt),
        `looks before the retry (${retriedAt}): ${JSON.stringify(rows)}`,
      );
      t.ok(
        looks.some((r) => (r.firstStartedAt ?? r.startedAt) > retriedAt),
        `and a row of looks that all began after it: ${JSON.stringify(rows)}`,
      );
      t.same(
        looks.filter((r) => (r.firstStartedAt ?? r.startedAt) < retriedAt && r.startedAt > retriedAt),
        [],
        'no row counts looks from both sides of the retry',
      );
      t.ok(
        rows.every((r) => r.attempt === 1),
        'every look and the delivery are attempt 1 of their budget',
      );

      const shown = await admin('GET', `/admin/outbox/jobs/${waiting.id}`);
      t.equal(shown.statusCode, 200, shown.body.slice(0, 300));
      t.equal(shown.json().job.requeues, 1, 'the job says it was retried once');
      const timeline = jobBody(shown.json(), Date.now())
        .value.split('<li')
        .map((item) => (/outbox\.retry by/.test(item) ? 'retry' : /failed, to be retried/.test(item) ? 'look' : ''))
        .filter(Boolean);
      t.equal(timeline[0], 'look', `the console's timeline: looks first (${timeline.join(', ')})`);
      t.match(timeline.join(', '), /^(look, )+retry(, look)+$/, 'then the retry, then the looks after it');
    },
  );
}
