/**
 * A registry change waits for a client's write queued to a secondary target whose FHIR id nothing
 * links to the registry facility. The shipped routing.json fans a Location write out to DHIS2
 * beside the system of record (OpenLMIS); the DHIS2 job carries the FHIR id (OpenLMIS's). Here only
 * the DHIS2 org unit is linked to the registry facility (the crosswalk holds no OpenLMIS row for
 * it) and the job was never delivered (no link knows its org unit), so the FHIR id is in neither:
 * the wait finds the job by the record it writes (its order key, the org unit's UID). Through the
 * real routing, outbox, connectors and sandboxes, both store engines: the client's update reaches
 * OpenLMIS while DHIS2 answers 503; the registry then renames the facility; the propagation to
 * DHIS2 must not write before the client's job lands, or that job's retry puts the older name back.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { seedUid } from '../../../../sandbox/dhis2/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { queueClientRename, registryRenameWaits } from '../../../support/dhis2-client-write.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const ORG_UNIT = seedUid(`orgUnit:${CODE}`);

for (const engine of engineCases()) {
  t.test(
    `a registry change waits for a DHIS2 client write neither the crosswalk nor a link names (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, {
        routing: { default: null },
        maxAttempts: 1_000, // the client's DHIS2 job outlives the outage
      });
      const lmis = rig.connectors.list().find((c) => c.system === 'openlmis') as Connector;
      const { items } = await lmis.facilities!.search({ identifier: { value: CODE } });
      const lmisId = items.find((f) => f.kind === 'facility')!.id!;
      t.ok(rig.dhis2.state.orgUnits.get(ORG_UNIT), 'DHIS2 has the facility as a seeded org unit');
      await rig.link('dhis2', ORG_UNIT, REGISTRY_ID);
      await rig.pull(); // the registry as it is
      const fault = await queueClientRename(t, rig, lmisId, ORG_UNIT);
      const known = [
        ...(await rig.store.listCrosswalkByRegistryId(REGISTRY_ID)).map((c) => c.systemId),
        ...(await rig.store.linksToUpstream('facilities', 'dhis2', [ORG_UNIT])).map((l) => l.fhirId),
      ];
      t.notOk(known.includes(lmisId), `the FHIR id is in neither the crosswalk nor a link: ${known}`);

      await registryRenameWaits(t, rig, { code: CODE, registryId: REGISTRY_ID, orgUnit: ORG_UNIT }, fault);
    },
  );
}
