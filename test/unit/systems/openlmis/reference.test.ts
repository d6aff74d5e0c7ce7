import t from 'tap';
import { createReferenceData } from '../../../../src/systems/openlmis/reference-data.js';
import { startClientHarness } from './client-harness.js';

t.test('codes match exactly although the server filters by substring', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const refs = createReferenceData(h.client, 60_000);
  const server = await h.client.all<{ code: string }>({ path: '/api/facilities', query: { code: 'LK-HC-10' } });
  t.ok(server.length >= 5, 'the server answers LK-HC-101…105 for LK-HC-10');
  t.equal(await refs.facilityByCode('LK-HC-10'), undefined, 'no facility is called LK-HC-10');
  const hc = await refs.facilityByCode('LK-HC-101');
  t.same(hc, {
    id: h.seed.facilities['LK-HC-101'],
    code: 'LK-HC-101',
    name: 'Mberewa Health Centre',
    typeCode: 'health_center',
  });
  t.equal(await refs.orderableByCode('EM-PCM'), undefined, 'substring of EM-PCM500');
  const pcm = await refs.orderableByCode('EM-PCM500');
  t.match(pcm, {
    id: h.seed.orderables['EM-PCM500'],
    versionNumber: 1,
    netContent: 1000,
    packRoundingThreshold: 500,
    roundToZero: true,
    dispensingUnit: 'tablet',
    programIds: [h.seed.programs.EM01],
  });
  t.same(await refs.orderableById(h.seed.orderables['EM-PCM500'], 1), pcm);
  t.equal(await refs.orderableById('00000000-0000-4000-8000-000000000000'), undefined, '404 is "not there"');
  t.same((await refs.programByCode('IMM1'))?.skipAuthorization, true);
  t.equal(await refs.programByCode('IMM'), undefined);
});

t.test("reasons resolve by name to the server's ids; lots by trade item", async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  const refs = createReferenceData(h.client, 60_000);
  const reasons = await refs.reasons(h.seed.programs.FP01, 'health_center');
  const damage = reasons.find((r) => r.name === 'Damage');
  t.same(damage, { id: h.seed.reasons.Damage, name: 'Damage', reasonType: 'DEBIT', reasonCategory: 'ADJUSTMENT' });
  t.equal(reasons.find((r) => r.name === 'Facility return')?.reasonType, 'CREDIT');
  t.same(await refs.reasons(h.seed.programs.FP01, 'no_such_type'), [], 'unknown facility type: no reasons');
  const lng = await refs.orderableByCode('FP-LNG30');
  const lots = await refs.lots(lng!.tradeItemId!);
  t.same(lots.map((l) => l.lotCode).sort(), ['LNG-2301', 'LNG-2407']);
  t.equal(lots.find((l) => l.lotCode === 'LNG-2301')?.expirationDate, '2027-03-31');
});

t.test('the cache answers repeats, expires, and can be cleared', async (t) => {
  const h = await startClientHarness();
  t.teardown(h.close);
  let ttl = 60_000;
  const refs = createReferenceData(h.client, () => ttl);
  const reads = h.counter('GET', '/api/programs');
  await Promise.all([refs.programByCode('FP01'), refs.programByCode('EM01'), refs.programById(h.seed.programs.IMM1)]);
  t.equal(reads(), 1, 'concurrent misses share one load');
  await refs.programByCode('FP01');
  t.equal(reads(), 1, 'served from the cache');
  refs.clear();
  await refs.programByCode('FP01');
  t.equal(reads(), 2, 'cleared: loaded again');
  ttl = 0;
  refs.clear();
  await refs.programByCode('FP01');
  await refs.programByCode('FP01');
  t.equal(reads(), 4, 'a zero TTL expires at once');
  ttl = 60_000;
  h.sb.faults.clear(); // the counting rule would match first
  h.sb.faults.failNext('GET', '/api/programs', 400, 1);
  refs.clear();
  await t.rejects(refs.programByCode('FP01'));
  t.ok(await refs.programByCode('FP01'), 'a failed load is not cached');
});
