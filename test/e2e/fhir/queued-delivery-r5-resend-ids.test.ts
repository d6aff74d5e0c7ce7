/**
 * A delivery confirmed on R4 while OpenLMIS is down (202, its write queued), resent on R5: the ids
 * and line order an R5 resend comes by. An R5 resend carries no line ids, so its lines were
 * compared by position, while an R4 write keeps its client's entry order and R5 reads the proof of
 * delivery's: a multi-line delivery resent as read was a 409. An R5 PUT under an id nothing reads
 * (a fresh UUID) was answered 202 "read SupplyDelivery/<that id>", an id that never read, queued or
 * delivered: it is refused (409) naming the id the waiting write reads under. An R5 POST of it is
 * answered, Location and message alike, under that id. Through the real mediator, the OpenLMIS
 * connector and its sandbox, both store engines.
 */
import t, { type Test } from 'tap';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { deliveredOnRetry, deliveryJobs } from '../../support/queued-deliveries.js';
import { shippedDelivery, startRigOn, why, writesSince, type Rig } from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;
const ADMIN = 'fb-r5-resend-ids-admin-Wm3';
/** A client's own id for a delivery, as an app creating resources chooses it (a random UUID), fixed here. */
const FRESH_ID = '6a2f4c1e-93b7-4d05-8e1a-2c7b9f0d4e58';

/** A shipped proof of delivery of `lines`, OpenLMIS's confirmations failing (503), retries left to the operator. */
async function podsDown(t: Test, engine: EngineCase, order: string, lines: { productCode: string; qty: number }[]) {
  const rig = await startRigOn(t, engine, {
    ADMIN_TOKEN: ADMIN,
    OUTBOX_BACKOFF_BASE_MS: '600000',
    OUTBOX_BACKOFF_CAP_MS: '600000',
  });
  const { podId, read } = await shippedDelivery(rig, 'LK-HC-105', order, lines);
  const query = encodeURIComponent(`${read.identifier[0].system}|${read.identifier[0].value}`);
  const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery?identifier=${query}`);
  t.equal(r4.status, 200, `its R4 lines: ${why(r4)}`);
  const down = rig.lmis.sb.faults.add({
    method: 'PUT',
    path: '/api/proofsOfDelivery/*',
    action: { type: 'status', status: 503 },
  });
  const r4Lines: Resource[] = r4.body.entry.map((e: Resource) => e.resource);
  return { rig, podId, r5: read as Resource, r4Lines, down, before: rig.lmis.sb.state.requestCount() };
}

/** What was shipped, accepted: the quantity an R4 line or an R5 item confirms. */
function allAccepted(item: Resource): Resource {
  const shipped = item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity;
  return { ...item, quantity: shipped };
}

/** An R4 line as read, confirmed (completed, all accepted), under its id or, for a POST, none. */
function confirmedLine({ meta: _meta, ...line }: Resource, keepId: boolean): Resource {
  const { id, ...content } = structuredClone(line);
  const confirmed = { ...content, status: 'completed', suppliedItem: allAccepted(content.suppliedItem) };
  return keepId ? { ...confirmed, id } : confirmed;
}

/** The R5 delivery as read, confirmed as its R4 lines are. */
function confirmedWhole({ meta: _meta, ...read }: Resource): Resource {
  const content = structuredClone(read);
  return { ...content, status: 'completed', suppliedItem: content.suppliedItem.map(allAccepted) };
}

/** The id a write's answer names in its Location. */
const answeredId = (res: { headers: Headers }) =>
  /\/SupplyDelivery\/([^/]+)/.exec(res.headers.get('location') ?? '')?.[1];

/** The one write delivered on the operator's retry: its failed try and its retry reached OpenLMIS, nothing else. */
async function deliveredOnce(
  t: Test,
  rig: Rig,
  at: { jobId: string; podId: string; before: number },
  down: { id: string },
) {
  t.same(
    (await deliveryJobs(rig, ADMIN)).map((j) => j.id),
    [at.jobId],
    'the resends recorded no other write',
  );
  await deliveredOnRetry(t, rig, ADMIN, at.jobId, down);
  t.same(
    writesSince(rig, at.before).filter((w) => w.startsWith('PUT /api/proofsOfDelivery/')),
    [`PUT /api/proofsOfDelivery/${at.podId}`, `PUT /api/proofsOfDelivery/${at.podId}`],
    'one confirmation reached OpenLMIS',
  );
}

for (const engine of engineCases()) {
  t.test(
    `a two-line delivery confirmed on R4 in its own line order is resent on R5 as read (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, podId, r5, r4Lines, down, before } = await podsDown(t, engine, 'FB-TWO-LINES', [
        { productCode: 'EM-ORS', qty: 100 },
        { productCode: 'EM-AMX250', qty: 50 },
      ]);
      t.equal(r4Lines.length, 2);
      // the app sends its lines in its own order: not the proof of delivery's
      const entry = [...r4Lines].reverse().map((line) => ({
        resource: confirmedLine(line, true),
        request: { method: 'PUT', url: `SupplyDelivery/${line.id}` },
      }));
      const tx = await rig.fhir('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry });
      t.equal(tx.status, 200, `the R4 transaction: ${why(tx)}`);
      t.same(
        tx.body.entry.map((e: Resource) => e.response.status),
        ['202 Accepted', '202 Accepted'],
        'queued',
      );
      const [job, ...others] = await deliveryJobs(rig, ADMIN);
      t.same(others, [], 'one write for the delivery');

      const whole = confirmedWhole(r5);
      const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${podId}`, whole);
      t.equal(put.status, 202, `an R5 PUT of it, lines in the proof of delivery's order, is that write: ${why(put)}`);
      const { id: _id, ...created } = whole;
      const post = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', created);
      t.equal(post.status, 202, `an R5 POST of it too: ${why(post)}`);
      const swapped = structuredClone(whole);
      [swapped.suppliedItem[0].quantity, swapped.suppliedItem[1].quantity] = [
        swapped.suppliedItem[1].quantity,
        swapped.suppliedItem[0].quantity,
      ];
      const other = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${podId}`, swapped);
      t.not(other.status, 202, `the two items' quantities swapped are another confirmation: ${why(other)}`);

      await deliveredOnce(t, rig, { jobId: job.id, podId, before }, down);
    },
  );

  t.test(
    `an R5 resend of a queued R4 write under an id nothing reads is refused, naming the write's (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, podId, r5, r4Lines, down, before } = await podsDown(t, engine, 'FB-FRESH-ID', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const posted = await rig.fhir('POST', '/fhir/SupplyDelivery', confirmedLine(r4Lines[0], false));
      t.equal(posted.status, 202, `queued, OpenLMIS down: ${why(posted)}`);
      const r4Id = answeredId(posted)!;
      const [job] = await deliveryJobs(rig, ADMIN);

      const whole = confirmedWhole(r5);
      const fresh = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${FRESH_ID}`, { ...whole, id: FRESH_ID });
      t.equal(fresh.status, 409, `an R5 PUT under a fresh id: ${why(fresh)}`);
      t.match(why(fresh), `read under ${r4Id}`, 'naming the id the waiting write reads under');
      t.equal((await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${FRESH_ID}`)).status, 404, 'nothing under it');
      const inTx = await rig.fhir('POST', '/fhir/R5', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { ...whole, id: FRESH_ID }, request: { method: 'PUT', url: `SupplyDelivery/${FRESH_ID}` } },
        ],
      });
      t.equal(inTx.status, 409, `as a transaction's entry too: ${why(inTx)}`);

      const byHeldId = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${r4Id}`, { ...whole, id: r4Id });
      t.equal(byHeldId.status, 202, `an R5 PUT under the id the write reads under is that write: ${why(byHeldId)}`);
      const { id: _id, ...created } = whole;
      const post = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', created);
      t.equal(post.status, 202, `an R5 POST of it is that write: ${why(post)}`);
      t.equal(answeredId(post), r4Id, 'Location names the waiting write');
      t.match(why(post), `read SupplyDelivery/${r4Id} for its state`, 'and so does the message');

      await deliveredOnce(t, rig, { jobId: job.id, podId, before }, down);
    },
  );
}
