/**
 * Two mediator processes (`serve`) on one PostgreSQL database, in front of the real OpenLMIS
 * sandbox, on a bad day for the scale-out tier:
 * - one instance's clock is 3 s ahead (inside the 5 s start-up tolerance) while the other holds a
 *   stock count whose POST OpenLMIS is slow to answer: the skewed one must not see the lease end
 *   early and post the count a second time; nor stamp a facility's version, first seen there, a
 *   later lastUpdated than the renamed version the other instance sees next; nor retry the
 *   other's stock count before OpenLMIS's Retry-After;
 * - the same order Bundle is posted to both at the same moment: one requisition, answers naming
 *   the same resources;
 * - the instance delivering an order is SIGKILLed mid-delivery: the other one finishes the job,
 *   once.
 * Needs TEST_DATABASE_URL (scripts/pg-test-server.sh).
 */
import t from 'tap';
import { startHarness } from '../../unit/sandbox/openlmis/helpers.js';
import { openLmisEnv, orderLine, transactionOf, why } from '../../support/openlmis-e2e.js';
import { answerOf, startMediatorProcess } from '../../support/mediator-process.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

const pg = engineCases().find((e) => e.name === 'postgres')!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Each entry's status and location without the host (each instance answers with its own). */
const entriesOf = (body: any) =>
  (body.entry ?? []).map((e: any) => [e.response.status, e.response.location.replace(/^https?:\/\/[^/]+/, '')]);

t.test('two instances on one PostgreSQL database', { skip: pg.skip }, async (t) => {
  const lmis = await startHarness();
  const db = await pg.freshDatabase();
  // the helper's short timings: a lease only 1 s longer than an attempt (5 s, 4 s)
  const env = {
    DATABASE_URL: db.databaseUrl,
    ...openLmisEnv(lmis.sb.url),
  };
  const a = await startMediatorProcess('two-a', env);
  const b = await startMediatorProcess('two-b', env, { clockAheadMs: 3_000 });
  t.teardown(async () => {
    await a.close();
    await b.close();
    await lmis.sb.close();
    await db.drop();
  });
  const state = lmis.sb.state;
  const writes = () =>
    state
      .requestLog(0)
      .filter((r: any) => r.method !== 'GET' && !r.path.includes('/oauth/'))
      .map((r: any) => `${r.method} ${r.path.split('?')[0]}`);

  await t.test('a clock 3 s ahead does not take over a stock count still being posted', async (t) => {
    const facilityId = lmis.seed.facilities['LK-HC-101'];
    const reports = answerOf(
      await a.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${facilityId}`)}`),
    ).body.entry.map((e: any) => e.resource);
    const count = structuredClone(reports[0]);
    delete count.id;
    delete count.meta;
    count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'CNT-TWO-1' }];
    count.reportedDateTime = '2026-11-21T09:00:00Z';
    count.inventoryListing[0].countingDateTime = '2026-11-21T08:30:00Z';
    for (const item of count.inventoryListing[0].item) item.quantity.value = Math.max(0, item.quantity.value - 10);
    const before = state.counts().stockEvents;
    // OpenLMIS takes 3.5 s to take the event: inside A's 4 s attempt, past the 2 s after which
    // B's clock, 3 s ahead, reads A's 5 s lease as ended
    lmis.sb.faults.add({
      method: 'POST',
      path: '/api/public/stockEvents',
      action: { type: 'delay', ms: 3_500 },
      times: 1,
    });
    const posted = answerOf(await a.fhir('POST', '/fhir/R5/InventoryReport', count));
    t.equal(posted.status, 202, `the slow post is answered 202 at the deadline: ${why(posted)}`);
    await until('the count delivered', async () => (state.counts().stockEvents > before ? true : undefined), 30_000);
    // past A's lease as B reads it, and any retry's settle time
    await sleep(6_000);
    t.equal(state.counts().stockEvents, before + 1, 'one physical-inventory event, not two');
    const again = answerOf(await b.fhir('POST', '/fhir/R5/InventoryReport', count));
    t.equal(again.status, 200, `the count sent again to B is answered from the first: ${why(again)}`);
    t.equal(state.counts().stockEvents, before + 1, 'and posts nothing');
  });

  await t.test('a facility changed between the two instances reads: lastUpdated moves on', async (t) => {
    const facilityId = lmis.seed.facilities['LK-HC-103'];
    // B, its clock 3 s ahead, is the first to see the facility; A sees it renamed a moment later
    const first = answerOf(await b.fhir('GET', `/fhir/Location/${facilityId}`));
    t.equal(first.status, 200, why(first));
    const token = await lmis.login();
    const stored = (await lmis.call('GET', `/api/facilities/${facilityId}`, token)).body;
    await lmis.call('PUT', `/api/facilities/${facilityId}`, token, { ...stored, name: `${stored.name} (renamed)` });
    await sleep(50);
    const changed = answerOf(await a.fhir('GET', `/fhir/Location/${facilityId}`));
    t.equal(changed.body.name, `${stored.name} (renamed)`);
    t.ok(
      changed.body.meta.lastUpdated > first.body.meta.lastUpdated,
      `the renamed version is later (${changed.body.meta.lastUpdated}) than the one before (${first.body.meta.lastUpdated})`,
    );
    const again = answerOf(await b.fhir('GET', `/fhir/Location/${facilityId}`));
    t.equal(again.body.meta.lastUpdated, changed.body.meta.lastUpdated, 'and B answers the same time for it');
  });

  await t.test("OpenLMIS's Retry-After is kept by the instance whose clock is ahead", async (t) => {
    const facilityId = lmis.seed.facilities['LK-HC-101'];
    const reports = answerOf(
      await a.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${facilityId}`)}`),
    ).body.entry.map((e: any) => e.resource);
    const count = structuredClone(reports[0]);
    delete count.id;
    delete count.meta;
    count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'CNT-TWO-2' }];
    count.reportedDateTime = '2026-11-22T09:00:00Z';
    count.inventoryListing[0].countingDateTime = '2026-11-22T08:30:00Z';
    const posts = () => writes().filter((w: string) => w === 'POST /api/public/stockEvents').length;
    const before = posts();
    lmis.sb.faults.add({
      method: 'POST',
      path: '/api/public/stockEvents',
      action: { type: 'status', status: 503, headers: { 'retry-after': '4' } },
      times: 1,
    });
    // when the sandbox (in this process) has counted `n` posts, looked at every 5 ms: until's 100 ms
    // polls, late under load, measured the first post late by more than the 200 ms margin below
    const postedAt = async (n: number, what: string, ms: number) => {
      const end = Date.now() + ms;
      while (posts() < n) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(5);
      }
      return Date.now();
    };
    const sent = a.fhir('POST', '/fhir/R5/InventoryReport', count);
    const firstAt = await postedAt(before + 1, 'the first post', 10_000);
    const againAt = await postedAt(before + 2, 'the post again', 20_000);
    await sent;
    t.ok(againAt - firstAt >= 3_800, `posted again ${againAt - firstAt} ms after the 503 asking for 4 s`);
  });

  await t.test('the same order posted to both at once: one requisition, equal answers', async (t) => {
    const facilityId = lmis.seed.facilities['LK-HC-102'];
    // both requests are in flight together while OpenLMIS takes its time over the initiate
    lmis.sb.faults.add({
      method: 'POST',
      path: '/api/requisitions/initiate',
      action: { type: 'delay', ms: 800 },
      times: 2,
    });
    const bundle = transactionOf(
      ['EM-AMX250', 'EM-ORS'].map((productCode) =>
        orderLine({ order: 'TWO-1', facilityId, program: 'EM01', productCode, qty: 200 }),
      ),
    );
    const [ra, rb] = (await Promise.all([a.fhir('POST', '/fhir', bundle), b.fhir('POST', '/fhir', bundle)])).map(
      answerOf,
    );
    t.equal(ra.status, 200, why(ra));
    t.equal(rb.status, 200, why(rb));
    const [ea, eb] = [entriesOf(ra.body), entriesOf(rb.body)];
    const idOf = (location: string) => location.replace(/\/_history\/.*$/, '');
    t.same(
      ea.map((e: string[]) => idOf(e[1])),
      eb.map((e: string[]) => idOf(e[1])),
      'both answers name the same two SupplyRequests',
    );
    // one answer is the write (201, or 202 on a slow day), the other that write answered from it
    // (200 once delivered, else 202 too): never two writes
    const statuses = [...ea, ...eb].map((e: string[]) => e[0]);
    t.ok(
      statuses.every((s: string) => ['200 OK', '201 Created', '202 Accepted'].includes(s)) &&
        statuses.filter((s: string) => s === '201 Created').length <= 2,
      `answered from one write: ${statuses.join(', ')}`,
    );
    const ofFacility = () => state.requisitionsByStatus().filter((r: any) => r.facilityId === facilityId);
    await until('submitted', async () => (ofFacility().some((r: any) => r.status === 'SUBMITTED') ? true : undefined));
    await sleep(500);
    t.equal(ofFacility().length, 1, 'one requisition');
    t.equal(ofFacility()[0].status, 'SUBMITTED');
    const [fa, fb] = (await Promise.all([a.fhir('POST', '/fhir', bundle), b.fhir('POST', '/fhir', bundle)])).map(
      answerOf,
    );
    t.same(entriesOf(fa.body), entriesOf(fb.body), 'sent again to both, both answer the delivered order alike');
  });

  await t.test('an instance killed mid-delivery: the other finishes the order once', async (t) => {
    const facilityId = lmis.seed.facilities['LK-DH-201'];
    // the fill (PUT) hangs: A has initiated the requisition when it is killed
    lmis.sb.faults.add({ method: 'PUT', path: '/api/requisitions/*', action: { type: 'hang' }, times: 1 });
    const bundle = transactionOf(
      ['EM-AMX250', 'EM-ORS'].map((productCode) =>
        orderLine({ order: 'TWO-2', facilityId, program: 'EM01', productCode, qty: 120 }),
      ),
    );
    const from = writes().length;
    const first = answerOf(await a.fhir('POST', '/fhir', bundle));
    t.same(
      entriesOf(first.body).map((e: string[]) => e[0]),
      ['202 Accepted', '202 Accepted'],
      'accepted, still in flight',
    );
    await a.kill();
    const ofFacility = () => state.requisitionsByStatus().filter((r: any) => r.facilityId === facilityId);
    await until('submitted by B', async () =>
      ofFacility().some((r: any) => r.status === 'SUBMITTED') ? true : undefined,
    );
    await sleep(1_000);
    t.equal(ofFacility().length, 1, 'one requisition');
    const steps = writes()
      .slice(from)
      .map((w: string) => w.replace(/[0-9a-f-]{36}/g, ':id'));
    t.same(
      steps.filter((s: string) => s !== 'PUT /api/requisitions/:id'),
      ['POST /api/requisitions/initiate', 'POST /api/requisitions/:id/submit'],
      'initiated once (by A) and submitted once (by B)',
    );
    const resent = answerOf(await b.fhir('POST', '/fhir', bundle));
    t.same(
      entriesOf(resent.body).map((e: string[]) => e[0]),
      ['200 OK', '200 OK'],
      'the client resending to B gets the delivered order',
    );
  });
});
