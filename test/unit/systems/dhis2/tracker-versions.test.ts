import t from 'tap';
import { Dhis2Error } from '../../../../src/systems/dhis2/errors.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { CONSIGNMENT, SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import { loginPageOnce, startHarness } from './harness.js';

/**
 * Which servers the tracker flows need (issue 11 leftover 6): `/api/tracker` exists from 2.36, so
 * every version from 2.36 on is served by it (2.36–2.41 also keep the legacy `/api/events`, removed
 * in 42; the connector never needs it). A server before 2.36 has only the legacy API: its tracker
 * calls are refused by name, before anything is sent, instead of a bare 404.
 */
const event = (orgUnit: string, uid: string) => ({
  event: uid,
  program: CONSIGNMENT.program,
  programStage: CONSIGNMENT.stage,
  orgUnit,
  occurredAt: '2024-04-10T14:00:00.000',
  status: 'COMPLETED',
  dataValues: [
    { dataElement: CONSIGNMENT.item, value: 'FP_CNDM' },
    { dataElement: CONSIGNMENT.quantity, value: '5' },
    { dataElement: CONSIGNMENT.reference, value: 'SHP-V' },
  ],
});

t.test('2.35: no tracker API; the connector says so and sends nothing', async (t) => {
  const h = await startHarness({ version: '2.35.14' });
  t.teardown(h.close);
  const raw = await fetch(`${h.sandbox.url}/api/tracker/events?program=${CONSIGNMENT.program}`, {
    headers: { authorization: `ApiToken ${SEED_API_TOKEN}` },
  });
  t.equal(raw.status, 404, 'the sandbox, as 2.35, has no /api/tracker');
  const ou = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const err = (await postTrackerEvents(h.client, [event(ou, 'Vers0000001')]).catch((e: unknown) => e)) as Dhis2Error;
  t.ok(err instanceof Dhis2Error);
  t.equal(err.status, 422);
  t.equal(err.transient, false, 'retrying cannot help');
  t.match(
    err.message,
    'DHIS2 2.35.14 has no tracker API (/api/tracker, 2.36 and later): RTS stock, consignments and requisitions need DHIS2 2.36 or later',
  );
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), 0, 'nothing sent');
  t.equal(h.sandbox.tracker.events.has('Vers0000001'), false);
});

t.test('2.36: the tracker API serves the same import', async (t) => {
  const h = await startHarness({ version: '2.36.13' });
  t.teardown(h.close);
  const ou = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const r = await postTrackerEvents(h.client, [event(ou, 'Vers0000002')]);
  t.match(r, { status: 'OK', created: 1 });
  t.ok(h.sandbox.tracker.events.has('Vers0000002'));
});

t.test('a login page answered to the version question is asked again, never taken as "a current server"', async (t) => {
  // Read as JSON, the page has no version; kept, it made a 2.35 server pass for the newest for the
  // life of the process (tracker calls sent to an API it lacks, 2.41 filter names it ignores).
  const h = await startHarness({ version: '2.35.14' });
  t.teardown(h.close);
  loginPageOnce(h, 'GET', '/api/system/info');
  const ou = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const err = (await postTrackerEvents(h.client, [event(ou, 'Vers0000003')]).catch((e: unknown) => e)) as Dhis2Error;
  t.ok(err instanceof Dhis2Error);
  t.match(err.message, 'DHIS2 2.35.14 has no tracker API', 'the version was asked again and known');
  t.equal(h.sandbox.state.count('GET', '/api/system/info'), 2, 'the page, then the answer');
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), 0, 'nothing sent');
});
