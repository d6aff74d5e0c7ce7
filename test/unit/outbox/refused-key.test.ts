/**
 * A refused write frees its business key, on both engines. After a 422 the corrected write under
 * the same key is a new job and is delivered; the same refused payload sent again is evaluated
 * again (the refusal may have been fixed upstream) and never applied twice; concurrent copies of
 * the new write still make one job (also across two instances); the refused job stays for the
 * audit trail, cannot be retried any more, and its links do not hide the new write from reads.
 */
import t, { type Test } from 'tap';
import { BusinessRuleError, ConflictError } from '../../../src/domain/errors.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import type { WriteOutcome } from '../../../src/outbox/types.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { openStore, type NewJob } from '../../../src/store/index.js';
import { fhirJson, testApp } from '../../support/app.js';
import { engineCases, freshStore, type EngineCase } from '../../support/outbox-engines.js';
import { FAST, outboxFixture } from '../../support/outbox-fixture.js';
import { memoryLmisOrders } from '../../support/memory-lmis-orders.js';
import { supplyRequest } from '../../support/samples.js';

const write = (key: string, payload: unknown) => ({ flow: 'write', system: 'faulty', idempotencyKey: key, payload });
const refused = { reject: true, data: { qty: -5 } };
const corrected = { data: { qty: 5 } };
const firstOf = (o: WriteOutcome) => (o.kind === 'duplicate' ? o.previous : o);

/** An LMIS that refuses orders for products it does not have yet. */
function fakeLmis() {
  const products = new Set<string>();
  const lmis = memoryLmisOrders((order) => {
    for (const line of order.lines) {
      const gtin = JSON.stringify(line.product);
      if (![...products].some((p) => gtin.includes(p)))
        throw new BusinessRuleError(`Product ${gtin} is not in the LMIS`, 'SupplyRequest.itemCodeableConcept');
    }
  });
  return { ...lmis, products };
}

async function fhirSetup(t: Test, engine: EngineCase) {
  const { store } = await freshStore(engine, t);
  const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 2_000 } });
  const lmis = fakeLmis();
  const services = createRoutingServices({ connectors: [lmis.connector], outbox, store });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
  });
  return { app, outbox, store, lmis };
}

t.comment(
  process.env.TEST_DATABASE_URL ? 'PostgreSQL tier: on' : 'PostgreSQL tier skipped: TEST_DATABASE_URL is not set',
);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('422, then the corrected payload under the same key is a new job and is delivered', async (t) => {
      const f = await outboxFixture(t, engine);
      const first = await f.outbox.acceptWrite(write('K-1', refused));
      t.match(first, { kind: 'rejected', error: { status: 422 } });
      const second = await f.outbox.acceptWrite(write('K-1', corrected));
      t.equal(second.kind, 'done', 'accepted as a new write, not a 409');
      t.not(second.jobId, first.jobId);
      t.equal(f.upstream.state.applied.get('K-1')?.count, 1, 'delivered once');
      const old = await f.store.getJob(first.jobId);
      t.match(old, { status: 'rejected', supersededBy: second.jobId }, 'the refused job stays, marked');
      t.match(await f.store.listAudit({ subject: first.jobId }), [
        {
          actor: 'outbox',
          action: 'outbox.superseded',
          details: { by: second.jobId, idempotencyKey: 'K-1', samePayload: false },
        },
      ]);
      t.same(
        (await f.outbox.findByKey('K-1')).map((j) => [j.id, j.status]),
        [
          [first.jobId, 'rejected'],
          [second.jobId, 'done'],
        ],
      );
      t.match(
        firstOf(await f.outbox.acceptWrite(write('K-1', corrected))),
        { kind: 'done', jobId: second.jobId },
        'a repeat is a duplicate of the new job',
      );
      t.equal(f.upstream.state.applied.get('K-1')?.count, 1);
      const conflict = await f.outbox.acceptWrite(write('K-1', refused)).then(
        () => undefined,
        (err: unknown) => err,
      );
      t.ok(conflict instanceof ConflictError, 'the old payload now conflicts with the accepted one');
      t.match(conflict, { status: 409, jobId: second.jobId });
      t.match(
        await retryOutboxJob(f.store, first.jobId, 'alice'),
        { ok: false, reason: 'superseded', by: second.jobId },
        'the refused job can no longer be replayed',
      );
      t.equal(
        await f.store.requeueJob(first.jobId, { actor: 'alice', action: 'outbox.retry' }, Date.now()),
        undefined,
        'not by the store either',
      );
      t.equal(f.calls.write, 2);
    });

    t.test('the same refused payload again is evaluated again, and never applied twice', async (t) => {
      const f = await outboxFixture(t, engine);
      const first = await f.outbox.acceptWrite(write('K-2', refused));
      const again = await f.outbox.acceptWrite(write('K-2', refused));
      t.match(again, { kind: 'rejected', error: { status: 422 } }, 'refused again by the upstream');
      t.not(again.jobId, first.jobId, 'as a new attempt');
      t.equal(f.calls.write, 2, 'the upstream was asked again');
      t.match(await f.store.listAudit({ subject: first.jobId }), [
        { action: 'outbox.superseded', details: { samePayload: true } },
      ]);

      // the upstream is fixed (here: it would now accept the payload): the resend goes through, once
      let fixed = false;
      f.outbox.register('product', 'faulty', async (job) => {
        f.calls.write += 1;
        if (!fixed)
          throw new BusinessRuleError('product P-9 is not in the catalogue', 'SupplyRequest.itemCodeableConcept');
        return { system: 'faulty', ids: { order: `o-${job.idempotencyKey}` } };
      });
      const order = { flow: 'product', system: 'faulty', idempotencyKey: 'K-3', payload: { product: 'P-9' } };
      t.match(await f.outbox.acceptWrite(order), { kind: 'rejected' });
      fixed = true;
      const delivered = await f.outbox.acceptWrite(order);
      t.match(delivered, { kind: 'done', result: { ids: { order: 'o-K-3' } } });
      const repeat = await f.outbox.acceptWrite(order);
      t.match(
        repeat,
        { kind: 'duplicate', jobId: delivered.jobId, previous: { kind: 'done' } },
        'a done write is never applied twice',
      );
      t.equal(f.calls.write, 4);
    });

    t.test('concurrent copies of the new write make one job, across two instances', async (t) => {
      const f = await outboxFixture(t, engine, { faults: { slow: 1, slowMs: [150, 150] } });
      const other = await f.secondInstance();
      const first = await f.outbox.acceptWrite(write('K-4', refused));
      t.match(first, { kind: 'rejected' });
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? other : f.outbox).acceptWrite(write('K-4', corrected))),
      );
      t.equal(outcomes.filter((o) => o.kind !== 'duplicate').length, 1, 'exactly one new job');
      t.equal(new Set(outcomes.map((o) => o.jobId)).size, 1, 'all answers name it');
      t.ok(
        outcomes.map(firstOf).every((o) => o.kind === 'done'),
        'and carry its delivery',
      );
      t.equal(f.upstream.state.applied.get('K-4')?.count, 1, 'applied once');
      t.same(
        (await f.outbox.findByKey('K-4')).map((j) => j.status),
        ['rejected', 'done'],
      );
    });

    t.test('concurrent different corrections: one wins, the other is a 409', async (t) => {
      const f = await outboxFixture(t, engine, { faults: { slow: 1, slowMs: [100, 100] } });
      const other = await f.secondInstance();
      await f.outbox.acceptWrite(write('K-5', refused));
      const results = await Promise.allSettled([
        f.outbox.acceptWrite(write('K-5', { data: { qty: 5 } })),
        other.acceptWrite(write('K-5', { data: { qty: 6 } })),
      ]);
      t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one correction is accepted');
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      t.ok(loser?.reason instanceof ConflictError, 'the other is a conflict with it');
      t.equal(f.upstream.state.applied.get('K-5')?.count, 1);
      t.same((await f.outbox.findByKey('K-5')).map((j) => j.status).sort(), ['done', 'rejected']);
    });

    t.test('store races: takeovers and an operator retry of the refused job, on separate connections', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      const others = await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl })));
      t.teardown(() => Promise.all(others.map((o) => o.close())));
      const stores = [store, ...others];
      const job = (id: string, key: string, hash: string): NewJob => ({
        id,
        flow: 'write',
        system: 'faulty',
        idempotencyKey: key,
        payloadHash: hash,
        payload: { hash },
        status: 'in-flight',
        attempts: 1,
        nextAttemptAt: 1,
        leaseOwner: `lease-${id}`,
        leaseUntil: Date.now() + 60_000,
        createdAt: Date.now(),
      });
      const refuse = async (id: string, key: string) => {
        await store.recordWrite(job(id, key, 'bad'));
        await store.finishJob(
          id,
          `lease-${id}`,
          {
            status: 'rejected',
            error: { name: 'UpstreamError', status: 422, issues: [{ code: 'business-rule', diagnostics: 'no' }] },
          },
          Date.now(),
        );
      };
      for (let round = 0; round < 8; round++) {
        const key = `RACE-${round}`;
        await refuse(`old-${round}`, key);
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            stores[i % stores.length].recordWrite(job(`new-${round}-${i}`, key, 'good')),
          ),
        );
        const created = results.filter((r) => r.created);
        t.equal(created.length, 1, `${key}: one takeover`);
        t.ok(
          results.every((r) => r.job.id === created[0].job.id),
          `${key}: every copy answers with it`,
        );
        t.equal((await store.getJob(`old-${round}`))?.supersededBy, created[0].job.id);

        // an operator retries the refused job while a correction arrives: exactly one of them wins
        const key2 = `RACE-OP-${round}`;
        await refuse(`op-${round}`, key2);
        const [requeued, written] = await Promise.all([
          others[0].requeueJob(
            `op-${round}`,
            { actor: 'alice', action: 'outbox.retry', subject: `op-${round}` },
            Date.now(),
          ),
          others[1].recordWrite(job(`fix-${round}`, key2, 'good')),
        ]);
        t.ok(
          Boolean(requeued) !== written.created,
          `${key2}: ${requeued ? 'the retry' : 'the correction'} won, not both`,
        );
        const live = (await store.findJobsByKey(key2)).filter((j) => j.status !== 'rejected');
        t.equal(live.length, 1, `${key2}: one live job holds the key`);
      }
    });

    t.test('over FHIR: 422, the corrected order under the same number is 201 and reads back', async (t) => {
      const { app, store, lmis } = await fhirSetup(t, engine);
      const refusedOrder = supplyRequest({ order: 'ORD-K', gtin: '00000000000017', qty: 5 });
      const res = await app.inject({
        method: 'POST',
        url: '/fhir/SupplyRequest',
        headers: fhirJson,
        payload: refusedOrder,
      });
      t.equal(res.statusCode, 422, res.body);
      lmis.products.add('00000000000024');
      const fixedOrder = supplyRequest({ order: 'ORD-K', gtin: '00000000000024', qty: 5 });
      const ok = await app.inject({
        method: 'POST',
        url: '/fhir/SupplyRequest',
        headers: fhirJson,
        payload: fixedOrder,
      });
      t.equal(ok.statusCode, 201, ok.body);
      const read = await app.inject({ method: 'GET', url: `/fhir/SupplyRequest/${ok.json().id}`, headers: fhirJson });
      t.equal(read.statusCode, 200, 'the link leads to the new write');
      t.equal(read.json().status, 'active');
      t.match(JSON.stringify(read.json().itemCodeableConcept), /00000000000024/);
      t.equal(lmis.orders.size, 1);
      const jobs = await store.findJobsByKey((await store.listJobs())[0].idempotencyKey);
      t.same(
        jobs.map((j) => j.status),
        ['rejected', 'done'],
      );

      // the same refused order again after the product was added: evaluated again, accepted
      const refusedAgain = supplyRequest({ order: 'ORD-L', gtin: '00000000000031', qty: 5 });
      t.equal(
        (await app.inject({ method: 'POST', url: '/fhir/SupplyRequest', headers: fhirJson, payload: refusedAgain }))
          .statusCode,
        422,
      );
      lmis.products.add('00000000000031');
      const accepted = await app.inject({
        method: 'POST',
        url: '/fhir/SupplyRequest',
        headers: fhirJson,
        payload: refusedAgain,
      });
      t.equal(accepted.statusCode, 201, accepted.body);
      const repeat = await app.inject({
        method: 'POST',
        url: '/fhir/SupplyRequest',
        headers: fhirJson,
        payload: refusedAgain,
      });
      t.equal(repeat.statusCode, 200, 'then a duplicate');
      t.equal(lmis.orders.size, 2, 'each order applied once');
      t.equal(lmis.submits(), 4);
    });
  });
}
