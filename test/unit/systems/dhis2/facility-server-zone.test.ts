/**
 * DHIS2 keeps an org unit's lastUpdated, and the openingDate or closedDate it is given, as wall
 * time in its server's zone (system/info serverTimeZoneId), as it keeps tracker times. Through the
 * real connector and a DHIS2 sandbox in a zone other than UTC: a Location's lastUpdated is the
 * instant DHIS2 means, a _lastUpdated search is filtered at that instant, and an org unit the
 * registry opens or closes is dated on the server's day.
 */
import t from 'tap';
import type { Facility } from '../../../../src/domain/index.js';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { DHIS2_CODE_SYSTEM, deterministicUid } from '../../../../src/systems/dhis2/identifiers.js';
import { wallTime as sandboxWallTime } from '../../../../sandbox/dhis2/server-zone.js';
import { memoryJournal, startHarness } from './harness.js';

t.test("a server in Colombo: an org unit's lastUpdated is Colombo wall time, read and filtered so", async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
  const uid = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  // a DHIS2 user changed it at 14:45 in Colombo: 09:15 UTC
  h.sandbox.state.orgUnits.get(uid)!.lastUpdated = '2026-12-01T14:45:00.000';

  t.equal((await caps.get(uid))?.lastUpdated, '2026-12-01T09:15:00.000Z', 'read at 09:15 UTC (before: 14:45 UTC)');
  const listed = async (range: { from?: string; to?: string }) =>
    (await caps.search({ identifier: { system: DHIS2_CODE_SYSTEM, value: 'LK-HC-102' }, lastUpdated: [range] })).items
      .length;
  t.equal(await listed({ from: '2026-12-01T09:00:00Z' }), 1, 'changed after 09:00 UTC: listed');
  t.equal(await listed({ from: '2026-12-01T10:00:00Z' }), 0, 'not after 10:00 UTC (before: listed, 14:45 read as UTC)');
  // DHIS2 filters on its wall time: asked for lastUpdated:le:10:00 it left out 14:45 Colombo time
  t.equal(await listed({ to: '2026-12-01T10:00:00Z' }), 1, 'changed before 10:00 UTC: listed (before: not)');
});

// at any instant one of the two is on another day than UTC: the test holds whenever it runs
for (const zone of ['Pacific/Kiritimati', 'Etc/GMT+12'])
  t.test(`a server in ${zone}: an org unit opened and closed is dated on the server's day`, async (t) => {
    const h = await startHarness({ timeZone: zone });
    t.teardown(h.close);
    const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
    const ids = h.sandbox.state.summary().orgUnits;
    const facility: Facility = {
      id: `mfr-tz-${zone.length}`,
      identifiers: [{ system: 'https://mfr.example.org/facility', value: `MFR-TZ-${zone.length}` }],
      name: 'Zone Dispensary',
      status: 'active',
      kind: 'facility',
      partOf: ids['LKL-N-TSG'],
    };
    const uid = deterministicUid('organisationUnit', facility.id!);
    const day = () => sandboxWallTime(new Date(), zone).slice(0, 10);
    const opened = day();
    await caps.upsert!(facility, memoryJournal('open'));
    const openingDate = h.sandbox.state.orgUnits.get(uid)?.openingDate;
    // a write across the server's midnight may take the next day: either is the server's
    t.ok(
      [opened, day()].some((d) => openingDate === `${d}T00:00:00.000`),
      `opened on ${opened} (got ${openingDate})`,
    );
    const closing = day();
    await caps.upsert!({ ...facility, status: 'inactive' }, memoryJournal('close'));
    const closedDate = h.sandbox.state.orgUnits.get(uid)?.closedDate;
    t.ok(
      [closing, day()].some((d) => closedDate === `${d}T00:00:00.000`),
      `closed on ${closing} (got ${closedDate})`,
    );
  });
