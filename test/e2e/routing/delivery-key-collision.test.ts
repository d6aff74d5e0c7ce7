/**
 * Two deliveries whose business keys collided: keys joined an identifier's system and value with
 * '|' unescaped, and an app may put '|' in a value. Delivery DL-1's first draft was keyed
 * `delivery|<app>|DL-1|in-progress`, the very key of a completed delivery numbered
 * `DL-1|in-progress`: that second delivery, a write of its own to another proof of delivery, was
 * refused as "already used for a different payload", and never applied. Each now has a key of
 * its own (routing/business-key.ts): both are confirmed, each once, and each resent is answered
 * as itself, nothing sent again. Through the mediator, its OpenLMIS connector and the sandbox.
 */
import t from 'tap';
import { appDelivery } from '../../support/counted-delivery.js';
import { shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const APP = 'https://mobile.example.org/deliveries';

for (const engine of engineCases()) {
  t.test(
    `a draft of DL-1 and a delivery numbered "DL-1|in-progress" are two writes (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const first = await shippedDelivery(rig, 'LK-HC-101', 'HB-KEY-1', [{ productCode: 'EM-ORS', qty: 100 }]);
      const second = await shippedDelivery(rig, 'LK-HC-102', 'HB-KEY-2', [{ productCode: 'EM-ORS', qty: 60 }]);
      const pod = (id: string) => rig.lmis.sb.state.store.pods.get(id)!;

      const draft = appDelivery(first.read, { system: APP, value: 'DL-1' }, 'in-progress', 2);
      const saved = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft);
      t.equal(saved.status, 201, `DL-1's draft saved: ${why(saved)}`);

      const barred = appDelivery(second.read, { system: APP, value: 'DL-1|in-progress' }, 'completed', 0);
      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', barred);
      t.equal(done.status, 201, `the delivery numbered "DL-1|in-progress" is its own write: ${why(done)}`);
      t.equal(pod(second.podId).status, 'CONFIRMED', 'its proof of delivery confirmed');
      t.not(pod(first.podId).status, 'CONFIRMED', "DL-1's proof of delivery still a draft");

      const before = rig.lmis.sb.state.requestCount();
      const draftAgain = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', draft);
      t.equal(draftAgain.status, 200, `DL-1's draft resent is that draft: ${why(draftAgain)}`);
      const doneAgain = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', barred);
      t.equal(doneAgain.status, 200, `the other delivery resent is that delivery: ${why(doneAgain)}`);
      t.same(writesSince(rig, before), [], 'nothing sent twice');

      const found = await rig.fhir(
        'GET',
        `/fhir/R5/SupplyDelivery?identifier=${encodeURIComponent(`${APP}|DL-1|in-progress`)}`,
      );
      t.equal(found.status, 200, why(found));
      const ids = found.body.entry?.map((e: any) => e.resource.identifier?.[0]?.value);
      t.same(ids, ['DL-1|in-progress'], 'a search by its number finds that delivery alone');
    },
  );
}
