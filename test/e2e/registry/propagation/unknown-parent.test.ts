/**
 * A registry facility whose parent the mediator has never seen (pushed before its district, or a
 * typo in partOf) is created where routing.json places it only where the system allows no parent,
 * and every system says which parent it looked for. Before, the parent was passed over without a
 * word: OpenMRS made a top-level location and reported nothing, and OpenLMIS and DHIS2 refused
 * with "its area (none)" / "its parent (none given)", though the registry had named one. OpenLMIS
 * and DHIS2 now hold the create until the registry publishes it (parent-published-later.test.ts).
 * Real feed route, connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';
import { registryFeedApp } from '../../../support/registry-feed-app.js';

const CODE = 'LK-HC-777';
const REGISTRY_ID = facilityId(CODE);
const GHOST = 'jur-lkl-nowhere';

/** A facility as the registry publishes it, but under a jurisdiction it never published. */
function orphan(): Record<string, unknown> {
  return {
    resourceType: 'Location',
    id: REGISTRY_ID,
    meta: { versionId: '1', lastUpdated: new Date(Date.now() - 1_000).toISOString() },
    identifier: [{ system: 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code', value: CODE }],
    status: 'active',
    name: 'Orphan Clinic',
    type: [
      {
        coding: [
          {
            system: 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types',
            code: 'facility',
          },
        ],
      },
    ],
    position: { longitude: 34.2, latitude: -10.5 },
    partOf: { reference: `Location/${GHOST}` },
  };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a facility under a jurisdiction never published: each system names the parent it looked for`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, {
        routing: { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] },
      });
      // each system reconciled (a linked facility): a create is held in a system never reconciled
      await linkInThreeSystems(rig, 'LK-HC-101', facilityId('LK-HC-101'), LOC.mwangaza);
      const app = await registryFeedApp(t, rig);
      const res = await app.inject({
        method: 'PUT',
        url: `/registry/Location/${REGISTRY_ID}`,
        headers: { 'content-type': 'application/fhir+json' },
        payload: orphan(),
      });
      t.equal(res.statusCode, 200, res.body);
      await drain(rig.store);

      const openmrs = await rig.store.getPropagation(REGISTRY_ID, 'openmrs');
      t.match(openmrs, { action: 'create', state: 'done' }, 'OpenMRS takes a location without a parent');
      t.match(
        openmrs?.unsupported?.parent,
        new RegExp(`registry parent ${GHOST}.*not published.*: it is created without a parent$`),
        'and says which parent it could not give it',
      );
      const made = await connectorOf(rig, 'openmrs').facilities!.get(openmrs!.systemId!);
      t.equal(made?.partOf, undefined, 'a top-level location, as reported');

      for (const system of ['openlmis', 'dhis2']) {
        const row = await rig.store.getPropagation(REGISTRY_ID, system);
        t.equal(row?.state, 'held', `${system}, which refuses a new facility without a parent, holds it`);
        t.match(row?.reason, new RegExp(`registry parent ${GHOST}`), `${system}'s refusal names the parent sought`);
        const { items } = await connectorOf(rig, system).facilities!.search({ identifier: { value: CODE } });
        t.equal(items.filter((f) => f.kind === 'facility').length, 0, `${system} made nothing`);
      }
    },
  );
}
