/**
 * A live stock snapshot (InventoryReport search or read) of a system that keeps no time for its
 * stock (Open mSupply's stock lines, OpenMRS's inventory) carried the time of the read as its
 * reportedDateTime: every read was a new version (another meta.versionId and ETag, a later
 * meta.lastUpdated, a sighting written to the store), so `_lastUpdated=gt…` always listed it and an
 * ETag never held. Now an unchanged stock is one version, dated when the mediator first saw it, and
 * a change in the system is a new version. Through the sandboxes, on both store engines.
 */
import t from 'tap';
import { startMsupplyRigOn } from '../../support/msupply-e2e.js';
import { startOpenMrsRigOn } from '../../support/openmrs-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const OPENMRS_LOCATION = '0d3c2b1a-1111-4a2b-8c3d-000000000002';

type Fhir = (method: string, url: string) => Promise<{ status: number; body: any; headers: Headers }>;

/** The snapshot's version as a client sees it: meta, ETag of its read, and its reportedDateTime. */
async function versionOf(fhir: Fhir, location: string) {
  const found = await fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${location}`)}`);
  if (found.status !== 200) throw new Error(JSON.stringify(found.body).slice(0, 300));
  const report = found.body.entry[0].resource;
  const read = await fhir('GET', `/fhir/R5/InventoryReport/${report.id}`);
  return {
    versionId: report.meta.versionId,
    lastUpdated: report.meta.lastUpdated,
    reported: report.reportedDateTime,
    readEtag: read.headers.get('etag'),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const engine of engineCases()) {
  t.test(
    `Open mSupply: an unchanged stock reads as one version; a change is a new one (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, { stock: { default: 'msupply' } }, { OPENLMIS_BASE_URL: '' });
      const first = await versionOf(rig.fhir, STORE);
      await pause(30);
      const again = await versionOf(rig.fhir, STORE);
      t.same(again, first, 'the same versionId, lastUpdated and reportedDateTime on every read');
      t.equal(first.readEtag, `W/"${first.versionId}"`, 'the read answers the ETag the search listed');
      t.equal(first.reported, first.lastUpdated, 'reported when the mediator first saw this stock');
      const since = await rig.fhir(
        'GET',
        `/fhir/R5/InventoryReport?location=Location/${STORE}&_lastUpdated=${encodeURIComponent(`gt${first.lastUpdated}`)}`,
      );
      t.equal(since.body.entry?.length ?? 0, 0, 'an incremental sync after it finds nothing new');

      // a dispensing in Open mSupply itself
      const line = [...rig.ms.state.stockLines.values()].find((l) => l.storeId === STORE && l.totalNumberOfPacks > 1)!;
      line.totalNumberOfPacks -= 1;
      line.availableNumberOfPacks -= 1;
      await pause(5);
      const changed = await versionOf(rig.fhir, STORE);
      t.not(changed.versionId, first.versionId, 'a new version');
      t.ok(changed.lastUpdated > first.lastUpdated, 'changed later');
      t.equal(changed.readEtag, `W/"${changed.versionId}"`);
    },
  );

  t.test(`OpenMRS: an unchanged inventory reads as one version (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startOpenMrsRigOn(t, engine, 'live-stock-version');
    const first = await versionOf(rig.fhir, OPENMRS_LOCATION);
    await pause(30);
    t.same(await versionOf(rig.fhir, OPENMRS_LOCATION), first);
    t.equal(first.reported, first.lastUpdated);
  });
}
