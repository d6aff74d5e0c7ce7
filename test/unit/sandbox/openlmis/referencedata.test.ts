import t from 'tap';
import { startHarness } from './helpers.js';

t.test('reference data: paging, substring code filter, facility writes', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const token = await h.login();
  const all = await h.call('GET', '/api/facilities', token);
  t.equal(all.body.totalElements, 32, 'unpaged by default');
  t.equal(all.body.size, 2147483647);
  const names = all.body.content.map((f: any) => f.name);
  t.same(
    names,
    [...names].sort((a: string, b: string) => a.localeCompare(b)),
    'sorted by name',
  );

  const page1 = await h.call('GET', '/api/facilities?page=1&size=10', token);
  t.equal(page1.body.number, 1);
  t.equal(page1.body.numberOfElements, 10);
  t.equal(page1.body.totalPages, 4);
  t.equal(page1.body.first, false);
  t.equal(page1.body.last, false);
  const last = await h.call('GET', '/api/facilities?page=3&size=10', token);
  t.equal(last.body.numberOfElements, 2);
  t.equal(last.body.last, true);

  const like = await h.call('GET', '/api/facilities?code=hc-10', token);
  t.same(
    like.body.content.map((f: any) => f.code).sort(),
    ['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-HC-104', 'LK-HC-105'],
    'code is a case-insensitive substring match',
  );
  t.notOk('location' in like.body.content[0], 'list returns BasicFacilityDto');
  const full = await h.call('GET', `/api/facilities/${h.seed.facilities['LK-HC-101']}`, token);
  t.same(full.body.location, { type: 'Point', coordinates: [34.121, -10.412] }, 'GeoJSON [longitude, latitude]');
  t.equal(full.body.geographicZone.parent.parent.level.levelNumber, 1);

  const programs = await h.call('GET', '/api/programs', token);
  t.ok(Array.isArray(programs.body), 'programs is a bare array');
  const orderables = await h.call('GET', '/api/orderables?program=FP01&page=0&size=2', token);
  t.equal(orderables.body.totalElements, 4);
  t.same(orderables.body.content[0].meta, { versionNumber: 1, lastUpdated: '2024-01-15T08:00:00Z' });
  const notModified = await h.call('GET', '/api/orderables', token, undefined, {
    'if-modified-since': new Date().toUTCString(),
  });
  t.equal(notModified.status, 304);

  const created = await h.call('POST', '/api/facilities', token, {
    code: 'LK-HC-900',
    name: 'Registry Clinic',
    active: true,
    enabled: true,
    type: { id: full.body.type.id },
    geographicZone: { id: full.body.geographicZone.id },
    location: { type: 'Point', coordinates: [34.5, -10.5] },
    extraData: { isManagedExternally: 'true' },
  });
  t.equal(created.status, 201);
  const dupe = await h.call('POST', '/api/facilities', token, { ...created.body, id: undefined });
  t.equal(dupe.body.messageKey, 'referenceData.error.facility.code.mustBeUnique');
  const drop = await h.call('PUT', `/api/facilities/${created.body.id}`, token, { ...created.body, extraData: {} });
  t.equal(drop.status, 400, 'a user may not drop isManagedExternally');
  const rename = await h.call('PUT', `/api/facilities/${created.body.id}`, await h.serviceToken(), {
    ...created.body,
    name: 'Registry Clinic II',
    extraData: {},
  });
  t.equal(rename.body.name, 'Registry Clinic II');
  const search = await h.call('POST', '/api/facilities/search', token, { extraData: { isManagedExternally: 'true' } });
  t.same(
    search.body.content.map((f: any) => f.code),
    [],
    'extraData containment after the service token cleared it',
  );
  const mismatch = await h.call('PUT', `/api/facilities/${created.body.id}`, token, {
    ...created.body,
    id: h.seed.facilities['LK-HC-101'],
  });
  t.equal(mismatch.body.messageKey, 'referenceData.error.facility.idMismatch');
});
