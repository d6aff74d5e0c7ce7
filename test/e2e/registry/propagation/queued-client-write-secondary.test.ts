/**
 * A registry change waits for a client's write queued to a secondary target too. The shipped
 * routing.json fans a Location write out to DHIS2 beside the system of record (OpenLMIS); the
 * DHIS2 job carries the FHIR id (OpenLMIS's), not the org unit's UID. Through the real routing,
 * outbox, connectors and sandboxes, both store engines: a client's update reaches OpenLMIS while
 * DHIS2 answers 503, so its DHIS2 job is retried in the background; the registry then renames the
 * facility. The propagation to DHIS2 must not write before that job lands, or the job's retry,
 * made from the record before the rename, puts the older name back over the registry's.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { seedUid } from '../../../../sandbox/dhis2/index.js';
import { queueClientRename, registryRenameWaits } from '../../../support/dhis2-client-write.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { linkInOpenLmis } from '../../../support/linked-facility.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const ORG_UNIT = seedUid(`orgUnit:${CODE}`);

for (const engine of engineCases()) {
  t.test(
    `a registry change waits for a client write queued to DHIS2 (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, {
        routing: { default: null },
        maxAttempts: 1_000, // the client's DHIS2 job outlives the outage
      });
      const { lmisId } = await linkInOpenLmis(rig, CODE, REGISTRY_ID);
      t.ok(rig.dhis2.state.orgUnits.get(ORG_UNIT), 'DHIS2 has the facility as a seeded org unit');
      await rig.link('dhis2', ORG_UNIT, REGISTRY_ID);
      await rig.pull(); // the registry as it is
      const fault = await queueClientRename(t, rig, lmisId, ORG_UNIT);

      await registryRenameWaits(t, rig, { code: CODE, registryId: REGISTRY_ID, orgUnit: ORG_UNIT }, fault);
    },
  );
}
