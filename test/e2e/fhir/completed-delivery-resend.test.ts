/**
 * A completed delivery sent again: the confirmation a client resends after a lost answer is in
 * place (200, unchanged) only when it states what the system keeps of it: the same lines and the
 * same received date and receiver, at the precision the system keeps them (OpenLMIS keeps the day
 * received and the receiver's name on the proof of delivery). One that states another date or
 * receiver is a change of a completed delivery: 409 naming the element, nothing written; an app
 * told "unchanged" would believe its new date had landed. An R4 PUT of the delivery's one line
 * likewise: it builds on the delivery as read, and kept the read's date and receiver over the ones
 * sent (the first confirmation reached OpenLMIS without them, a changed resend was "unchanged").
 * Through the real mediator, the OpenLMIS connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { confirmedInFull, shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

for (const engine of engineCases()) {
  t.test(
    `a completed delivery sent again with another date or receiver (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'RESEND-POD', [
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const path = `/fhir/R5/SupplyDelivery/${podId}`;
      const confirmation = confirmedInFull(read, '2026-11-30T09:15:00Z', 'Nurse Achieng');
      const first = await rig.fhir('PUT', path, confirmation);
      t.equal(first.status, 200, why(first));
      const admin = await rig.lmis.login();
      const pod = async () => (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
      const kept = await pod();
      t.match(kept, { status: 'CONFIRMED', receivedDate: '2026-11-30', receivedBy: 'Nurse Achieng' });

      const before = rig.lmis.sb.state.requestCount();
      const again = await rig.fhir('PUT', path, confirmation);
      t.equal(again.status, 200, `the same confirmation again is in place: ${why(again)}`);
      const sameDay = await rig.fhir('PUT', path, { ...confirmation, occurrenceDateTime: '2026-11-30T16:40:00Z' });
      t.equal(sameDay.status, 200, `another time of the same day (OpenLMIS keeps the day): ${why(sameDay)}`);

      for (const [label, change, expression] of [
        ['another received date', { occurrenceDateTime: '2026-12-01T09:15:00Z' }, 'SupplyDelivery.occurrenceDateTime'],
        ['another receiver', { receiver: [{ display: 'Clerk Otieno' }] }, 'SupplyDelivery.receiver'],
      ] as const) {
        const changed = await rig.fhir('PUT', path, { ...confirmation, ...change });
        t.equal(changed.status, 409, `${label}: ${why(changed)}`);
        t.same(changed.body.issue[0].expression, [expression], `${label}: the element named`);
        t.match(changed.body.issue[0].diagnostics, /completed/, `${label}: says why`);
      }
      // the same resend as a create (an app that confirms by POST), and as a transaction entry
      const posted: Resource = { ...confirmation, occurrenceDateTime: '2026-12-01' };
      delete posted.id;
      const create = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', posted);
      t.equal(create.status, 409, `POST with another received date: ${why(create)}`);
      t.same(create.body.issue?.[0]?.expression, ['SupplyDelivery.occurrenceDateTime']);
      const bundle = await rig.fhir('POST', '/fhir/R5', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { ...confirmation, receiver: [{ display: 'Clerk Otieno' }] },
            request: { method: 'PUT', url: `SupplyDelivery/${podId}` },
          },
        ],
      });
      t.equal(bundle.status, 409, `a transaction with another receiver: ${why(bundle)}`);
      t.same(bundle.body.issue?.[0]?.expression, ['Bundle.entry[0].resource.receiver']);
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.match(
        await pod(),
        { status: 'CONFIRMED', receivedDate: '2026-11-30', receivedBy: 'Nurse Achieng' },
        'the proof of delivery keeps the first confirmation',
      );
    },
  );

  t.test(
    `R4: a line PUT confirms with the date and receiver sent; another one is a 409 (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const { podId } = await shippedDelivery(rig, 'LK-HC-105', 'RESEND-R4-POD', [{ productCode: 'EM-ORS', qty: 100 }]);
      // R4 serves the proof of delivery's one line under a line id: the read by its R5 id redirects there
      const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery/${podId}`);
      t.equal(r4.status, 200, why(r4));
      const { meta: _meta, ...line } = structuredClone(r4.body as Resource);
      const confirmation: Resource = {
        ...line,
        status: 'completed',
        occurrenceDateTime: '2026-11-28T09:15:00Z',
        receiver: [{ display: 'Nurse Wanjiru' }],
        suppliedItem: {
          ...line.suppliedItem,
          quantity: {
            ...line.suppliedItem.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity,
          },
        },
      };
      const path = `/fhir/SupplyDelivery/${line.id}`;
      const first = await rig.fhir('PUT', path, confirmation);
      t.equal(first.status, 200, why(first));
      const admin = await rig.lmis.login();
      const pod = async () => (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
      t.match(
        await pod(),
        { status: 'CONFIRMED', receivedDate: '2026-11-28', receivedBy: 'Nurse Wanjiru' },
        'OpenLMIS keeps the date and receiver sent',
      );

      const before = rig.lmis.sb.state.requestCount();
      const again = await rig.fhir('PUT', path, confirmation);
      t.equal(again.status, 200, `the same confirmation again is in place: ${why(again)}`);
      for (const [label, change, expression] of [
        ['another received date', { occurrenceDateTime: '2026-12-01T09:15:00Z' }, 'SupplyDelivery.occurrenceDateTime'],
        ['another receiver', { receiver: [{ display: 'Clerk Otieno' }] }, 'SupplyDelivery.receiver'],
      ] as const) {
        const changed = await rig.fhir('PUT', path, { ...confirmation, ...change });
        t.equal(changed.status, 409, `${label} by an R4 PUT: ${why(changed)}`);
        t.same(changed.body.issue?.[0]?.expression, [expression], `${label}: the element named`);
      }
      t.same(writesSince(rig, before), [], 'nothing more reaches OpenLMIS');
      t.match(await pod(), { receivedDate: '2026-11-28', receivedBy: 'Nurse Wanjiru' });
    },
  );
}
