/**
 * A PUT of an existing Location that its system refuses (Open mSupply answers its name property
 * update "Bad user input") changes nothing, so the Location reads as it was. The refused write's
 * link shadowed it: a read by its id answered 404 while searches still listed it. Through the Open
 * mSupply sandbox, on both store engines. (Until 904f7f2 the refusal came of itself: the store's
 * own name was looked up from the user's default store only, which is that same store.)
 */
import t from 'tap';
import { startMsupplyRigOn } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(
    `a refused PUT of a Location leaves it readable as it was (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, { facilities: { default: 'msupply' } }, { OPENLMIS_BASE_URL: '' });
      const before = await rig.fhir('GET', '/fhir/Location/store-wh-central');
      t.equal(before.status, 200);
      rig.ms.faults.add({
        operation: 'updateNameProperties',
        action: { type: 'graphqlError', message: 'Bad user input' },
      });
      const put = await rig.fhir('PUT', '/fhir/Location/store-wh-central', {
        ...before.body,
        meta: undefined,
        name: `${before.body.name} II`,
      });
      t.equal(put.status, 422, 'Open mSupply refuses it');
      const after = await rig.fhir('GET', '/fhir/Location/store-wh-central');
      t.equal(after.status, 200, 'still there');
      t.equal(after.body.name, before.body.name, 'unchanged');
      t.equal(after.headers.get('etag'), before.headers.get('etag'), 'the same version');
      const listed = await rig.fhir('GET', '/fhir/Location');
      t.ok(
        listed.body.entry.some((e: any) => e.resource.id === 'store-wh-central'),
        'and listed, as before',
      );
    },
  );
}
