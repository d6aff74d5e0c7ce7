/**
 * A confirmed OpenLMIS proof of delivery keeps the day received (receivedDate, a date): its read
 * says so (Delivery.dateReceivedKept = 'day', the one rule the in-place check follows for every
 * system, never the form of the read's dateTime). The confirmation sent again with that day in any
 * form (a bare day, a time of it in another zone, with milliseconds), even under the If-Match of
 * the version it confirmed, is in place: 200, nothing written. Another day is a change of a
 * completed delivery, refused. Through the real mediator, the OpenLMIS connector and sandbox, both
 * store engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { confirmedInFull, shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';

for (const engine of engineCases())
  t.test(`a confirmed delivery's day sent again in another form (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    const { read, etag, podId } = await shippedDelivery(rig, 'LK-HC-105', 'DAY-FORMS', [
      { productCode: 'EM-ORS', qty: 100 },
    ]);
    const path = `/fhir/R5/SupplyDelivery/${podId}`;
    const first = await rig.fhir('PUT', path, confirmedInFull(read, '2026-11-30T10:00:00+01:00', null), {
      'if-match': etag,
    });
    t.equal(first.status, 200, why(first));

    const before = rig.lmis.sb.state.requestCount();
    for (const sameDay of ['2026-11-30', '2026-11-30T23:30:00-05:00', '2026-11-30T00:05:00.250+03:00']) {
      const again = await rig.fhir('PUT', path, confirmedInFull(read, sameDay, null), { 'if-match': etag });
      t.equal(again.status, 200, `the day kept, sent as ${sameDay}: ${why(again)}`);
      t.equal(again.body.occurrenceDateTime, '2026-11-30');
    }
    // a PATCH is judged as that PUT is: the same day in place under the stale If-Match; another day
    // under it is the 412 the If-Match asks for (the version it names is not the one it changes)
    const patchDay = (value: string) =>
      rig.fhir('PATCH', path, [{ op: 'replace', path: '/occurrenceDateTime', value }], {
        'if-match': etag,
        'content-type': 'application/json-patch+json',
      });
    const samePatched = await patchDay('2026-11-30T23:30:00-05:00');
    t.equal(samePatched.status, 200, `the day kept, patched in another form: ${why(samePatched)}`);
    const otherPatched = await patchDay('2026-12-01');
    t.equal(otherPatched.status, 412, `another day patched under a stale If-Match: ${why(otherPatched)}`);
    t.same(otherPatched.body.issue?.[0]?.expression, ['If-Match']);
    t.same(writesSince(rig, before), [], 'nothing written to OpenLMIS');
    const otherDay = await rig.fhir('PUT', path, confirmedInFull(read, '2026-12-01', null));
    t.equal(otherDay.status, 409, `another day: ${why(otherDay)}`);
    t.same(otherDay.body.issue?.[0]?.expression, ['SupplyDelivery.occurrenceDateTime']);
  });
