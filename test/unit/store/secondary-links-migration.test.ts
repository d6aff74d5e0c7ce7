/**
 * Migration v60 on a store whose links a read flipped before 8c8b1862, SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL: a delivery fanned out to OpenLMIS (of record) and DHIS2
 * (secondary) had its DHIS2 link re-marked of record, and newer, by a search DHIS2 answered, so
 * reads by its FHIR id went to DHIS2. After the migration they go to OpenLMIS again; a write's
 * link of record that was never a secondary target's is left as it is.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import { SECONDARY_LINKS_VERSION } from '../../../src/store/secondary-links.js';

const job = (id: string, system: string, key: string) =>
  `('${id}', 'delivery', '${system}', '${key}', 'h', '{}', 'done', 1, 0, 1000, 1000)`;
const link = (fhirId: string, system: string, jobId: string, updatedAt: number) =>
  `('delivery', '${fhirId}', '${system}', 'up-${fhirId}-${system}', '${jobId}', 1, ${updatedAt})`;

const FLIPPED = `
INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
  next_attempt_at, created_at, updated_at) VALUES
  ${job('p-1', 'openlmis', 'delivery|https://app.example.org/deliveries|DL-1')},
  ${job('s-1', 'dhis2', 'delivery|https://app.example.org/deliveries|DL-1|dhis2')},
  ${job('solo-2', 'dhis2', 'delivery|https://app.example.org/deliveries|DL-2')},
  ${job('lone-4', 'dhis2', 'delivery|https://app.example.org/deliveries|DL-4|dhis2')},
  ${job('prop-5', 'dhis2', 'propagate|reg-5|v1|dhis2')},
  ${job('prop-5b', 'openlmis', 'propagate|reg-5|v1|openlmis')};
INSERT INTO resource_links (flow, fhir_id, system, upstream_id, job_id, system_of_record, updated_at) VALUES
  ${link('d1', 'openlmis', 'p-1', 1000)},
  ${link('d1', 'dhis2', 's-1', 2000)},
  ${link('d2', 'dhis2', 'solo-2', 1000)},
  ${link('d4', 'dhis2', 'lone-4', 1000)},
  ${link('loc5', 'dhis2', 'prop-5', 1000)},
  ${link('loc5', 'openlmis', 'prop-5b', 2000)};
`;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, SECONDARY_LINKS_VERSION, FLIPPED);
    t.ok((await store.migrationVersions()).includes(SECONDARY_LINKS_VERSION), 'v60 applied');
    const d1 = await store.getLink('delivery', 'd1');
    t.equal(d1?.system, 'openlmis', 'd1 read from its system of record again (before: dhis2, the newer link)');
    t.equal(d1?.upstreamId, 'up-d1-openlmis');
    t.equal((await store.getLink('delivery', 'd2'))?.system, 'dhis2', "a sole write's link: kept");
    t.not((await store.getLink('delivery', 'd2'))?.primary, false, 'and of record');
    t.equal((await store.getLink('delivery', 'd1'))?.primary, undefined, "d1's link read is the primary's");
    // a key that ends as a secondary's, but no job under the rest of it: not told, kept
    t.not((await store.getLink('delivery', 'd4'))?.primary, false, 'a job with no primary beside it: kept of record');
    // registry propagation keys every system's job `…|<system>`, none the bare key: all kept
    const propagated = await store.linksToUpstream('delivery', 'dhis2', ['up-loc5-dhis2']);
    t.not(propagated[0]?.primary, false, "a propagation job's link (each system's key ends in it): kept");
  });
}
