/**
 * A facility moved under a district the registry has not published: OpenLMIS keeps its old zone
 * and says so (unsupported.parent), while DHIS2's change is held (its record is in the review
 * queue). When the district arrives, the facility is written again to OpenLMIS, under it, the hold
 * notwithstanding; DHIS2's hold is planned again under the new version, and the reviewer's accept
 * writes it, under the district. Before, a hold counted as a write to come: OpenLMIS stayed in the
 * old zone until a person decided on DHIS2's record. Real feed routes, connectors, review routes
 * and sandboxes, both store engines.
 */
import t from 'tap';
import { CODE, DISTRICT, DISTRICT_CODE, REGISTRY_ID, linkedInOpenLmis } from '../../../support/moved-facility.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';
import { feedApp, location, push } from '../../../support/pushed-location.js';
import { reviewDecisions } from '../../../support/review-decisions.js';

const ROUTING: FlowRouting = { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] };

for (const engine of engineCases())
  t.test(
    `${engine.name}: DHIS2 held for review, the move under the district still reaches OpenLMIS`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const { lmis, lmisId, zone } = await linkedInOpenLmis(rig);
      await rig.link('openmrs', LOC.mwangaza, REGISTRY_ID);
      const dhis2 = connectorOf(rig, 'dhis2');
      const dhis2Id = (await idByCode(dhis2, CODE))!;
      await rig.link('dhis2', dhis2Id, REGISTRY_ID, 'review');
      const dhis2Before = (await dhis2.facilities!.get(dhis2Id))?.partOf;
      const app = await feedApp(t, rig, ROUTING);

      await push(app, location(REGISTRY_ID, CODE, 'Mberewa HC', 'facility', DISTRICT));
      await drain(rig.store);
      const moved = await rig.store.getPropagation(REGISTRY_ID, 'openlmis');
      t.match(moved, { state: 'done', unsupported: { parent: /not published/ } }, 'its parent not found yet');
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'dhis2'),
        { state: 'held', reason: /review queue/ },
        'DHIS2 waits for a person',
      );

      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      const again = `${moved!.version}+parent`;
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'openlmis'),
        { state: 'done', version: again },
        'written again once the district is published, DHIS2 still held',
      );
      t.equal((await lmis.facilities!.get(lmisId))?.partOf, zone, 'the facility is under the district in OpenLMIS');
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'dhis2'),
        { state: 'held', version: again, reason: /review queue/ },
        'DHIS2 held under the new version',
      );
      t.equal((await dhis2.facilities!.get(dhis2Id))?.partOf, dhis2Before, 'DHIS2 untouched while held');

      const lmisWrites = rig.writes.filter((w) => w.system === 'openlmis').length;
      const decide = await reviewDecisions(t, rig, 'dhis2');
      const accept = await decide(dhis2Id, 'accept', { registryId: REGISTRY_ID });
      t.equal(accept.statusCode, 200, accept.body);
      await drain(rig.store);
      t.match(
        await rig.store.getPropagation(REGISTRY_ID, 'dhis2'),
        { state: 'done', version: again, systemId: dhis2Id },
        'the accept writes the move to DHIS2',
      );
      const district = await idByCode(dhis2, DISTRICT_CODE, 'area');
      t.ok(district, 'DHIS2 has the district');
      t.equal((await dhis2.facilities!.get(dhis2Id))?.partOf, district, 'the facility is under the district in DHIS2');
      t.equal(rig.writes.filter((w) => w.system === 'openlmis').length, lmisWrites, 'OpenLMIS not written again');
    },
  );
