/**
 * A facility's writes reach a secondary target in the order they were accepted too. The shipped
 * routing.json fans Location writes out to DHIS2 beside the system of record (OpenLMIS). Through
 * the real mediator, the OpenLMIS and DHIS2 connectors and their sandboxes, both store engines:
 * the first PUT reaches OpenLMIS (200) while DHIS2 answers 503, so its DHIS2 job waits in backoff;
 * a second PUT, accepted meanwhile, must not reach DHIS2 before it, or the first one's retry lands
 * last and the org unit ends with the older name although OpenLMIS has the newer one.
 */
import t, { type Test } from 'tap';
import { SEED_API_TOKEN, seedUid, startDhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { DHIS2_ID_SYSTEM } from '../../../src/systems/dhis2/identifiers.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { startRig, why, type Rig } from '../../support/openlmis-e2e.js';
import { namesOfTwoWrites, namesWritten } from '../../support/names-written.js';

const FACILITY = 'LK-HC-104';
const ORG_UNIT = seedUid(`orgUnit:${FACILITY}`);

async function rigOn(t: Test, engine: EngineCase) {
  const db = await engine.freshDatabase();
  const dhis2 = await startDhis2Sandbox();
  // the first write's DHIS2 job waits (backoff) long enough for the second to be accepted meanwhile
  const rig: Rig = await startRig({
    DATABASE_URL: db.databaseUrl,
    DHIS2_BASE_URL: dhis2.url,
    DHIS2_API_TOKEN: SEED_API_TOKEN,
    OUTBOX_DEADLINE_MS: '3000',
    OUTBOX_BACKOFF_BASE_MS: '1500',
    OUTBOX_BACKOFF_CAP_MS: '1500',
  });
  t.teardown(async () => {
    await rig.close();
    await dhis2.close();
    await db.drop();
  });
  return { rig, dhis2 };
}

/** The Location as read, renamed, carrying the DHIS2 org unit's UID (the secondary's record). */
function named(read: any, name: string): any {
  const { meta: _meta, ...content } = read;
  const identifier = (content.identifier ?? []).filter((i: any) => i.system !== DHIS2_ID_SYSTEM);
  return { ...content, name, identifier: [...identifier, { system: DHIS2_ID_SYSTEM, value: ORG_UNIT }] };
}

for (const engine of engineCases()) {
  t.test(
    `a facility's second write reaches DHIS2 after its first (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, dhis2 } = await rigOn(t, engine);
      const id = rig.lmis.seed.facilities[FACILITY];
      const history = namesWritten(dhis2.state.orgUnits, ORG_UNIT);

      dhis2.faults.add({
        method: 'PUT',
        path: '/api/organisationUnits/*',
        action: { type: 'status', status: 503 },
        times: 3, // every attempt of the first DHIS2 delivery (the client's own retries included)
      });
      const read = await rig.fhir('GET', `/fhir/Location/${id}`);
      t.equal(read.status, 200, why(read));
      const first = await rig.fhir('PUT', `/fhir/Location/${id}`, named(read.body, 'First change'));
      t.equal(first.status, 200, `OpenLMIS takes the first write: ${why(first)}`);
      const second = await rig.fhir('PUT', `/fhir/Location/${id}`, named(first.body, 'Second change'));
      t.equal(second.status, 200, `OpenLMIS takes the second write: ${why(second)}`);

      t.same(
        await namesOfTwoWrites(history, 'both writes delivered to DHIS2'),
        ['First change', 'Second change'],
        'DHIS2 got them in the order accepted',
      );
      t.equal(dhis2.state.orgUnits.get(ORG_UNIT)!.name, 'Second change', 'the org unit has the last write');
    },
  );
}
