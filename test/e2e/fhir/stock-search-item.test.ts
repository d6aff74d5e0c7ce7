/**
 * `InventoryReport?item=` selects the reports that carry the product, each whole. The systems cut
 * the lines of their live snapshot instead, under the snapshot's one id: the item search answered
 * that id with one line, recorded as a new version of it, so the next full read was a new version
 * again (another ETag, a later meta.lastUpdated, listed by every `_lastUpdated=gt…` download) with
 * no stock change; and a product the store does not stock matched its report with no lines.
 * Through the Open mSupply sandbox, on both store engines (the versions seen are stored).
 */
import t from 'tap';
import { startMsupplyRigOn } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const AT = `location=${encodeURIComponent('Location/store-hc-north')}`;

for (const engine of engineCases()) {
  t.test(
    `an item search answers whole reports and leaves the version alone (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, { stock: { default: 'msupply' } }, { OPENLMIS_BASE_URL: '' });
      const search = async (query: string) => {
        const res = await rig.fhir('GET', `/fhir/R5/InventoryReport?${AT}${query}`);
        t.equal(res.status, 200, query || 'the whole stock');
        return (res.body.entry ?? []).map((e: any) => e.resource) as any[];
      };
      const [full] = await search('');
      const lines = full.inventoryListing.flatMap((l: any) => l.item);
      t.ok(lines.length > 1, 'the store stocks several lines');
      const coding = lines[1].item.concept.coding[0];

      const byItem = await search(`&item=${encodeURIComponent(`${coding.system}|${coding.code}`)}`);
      t.equal(byItem.length, 1, 'the report that carries the product');
      t.same(byItem[0], full, 'whole, as a read of its id answers it: same lines, same version');
      t.same(await search(`&item=${encodeURIComponent(coding.code)}`), [full], 'the code in any system');

      const again = await rig.fhir('GET', `/fhir/R5/InventoryReport/${full.id}`);
      t.equal(again.headers.get('etag'), `W/"${full.meta.versionId}"`, 'no new version after the item search');
      t.same(again.body.meta, full.meta, 'nor a later lastUpdated');
      const since = await search(`&_lastUpdated=${encodeURIComponent(`gt${full.meta.lastUpdated}`)}`);
      t.same(since, [], 'an incremental download finds nothing new');

      t.same(
        await search(`&item=${encodeURIComponent(`${coding.system}|00000000000000`)}`),
        [],
        'a product not stocked',
      );
      t.same(
        await search(`&item=${encodeURIComponent(`http://example.org/other|${coding.code}`)}`),
        [],
        'another system',
      );
    },
  );
}
