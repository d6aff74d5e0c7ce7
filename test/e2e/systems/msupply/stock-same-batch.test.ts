/**
 * One batch on several Open mSupply stock lines (received twice at different prices, or used up
 * on one line and received again): a count naming the lot is the batch's count in the store.
 * With one of those lines holding packs it goes to that line, not to a used-up one (which would
 * leave the live line's packs on top of the count). With two holding packs, which line holds how
 * many is unknowable from one count, so it is refused, saying so, and nothing is written. A change
 * naming the lot applies to a line with packs. Through the real mediator, both store engines.
 */
import t from 'tap';
import { gtinOf, why } from '../../../support/openlmis-e2e.js';
import { startMsupplyRigOn, toStore, type MsupplyRig } from '../../../support/msupply-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const STORE = 'store-hc-north';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };
const LIVE = 'stock-hcn-pcm500t';
const BATCH = 'N20261';
const GTIN = gtinOf('EM-PCM500');
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const LOT = 'http://fhir-supply-mediator.org/fhir/StructureDefinition/lot-number';

/** A report of `packs` packs of paracetamol batch N20261 in the store. */
const reportOf = (id: string, packs: number, difference?: 'subtraction') => ({
  resourceType: 'InventoryReport',
  status: 'active',
  countType: difference ? 'difference' : 'snapshot',
  identifier: [{ system: 'https://mobile.example.org/counts', value: id }],
  ...(difference ? { operationType: { coding: [{ code: difference, display: difference }] } } : {}),
  reportedDateTime: '2026-11-21T09:00:00Z',
  inventoryListing: [
    {
      location: { reference: `Location/${STORE}` },
      item: [
        {
          extension: [{ url: LOT, valueString: BATCH }],
          quantity: { value: packs, unit: 'pack', system: UNIT, code: 'pack' },
          item: { concept: { coding: [{ system: 'https://www.gs1.org/gtin', code: GTIN }] } },
        },
      ],
    },
  ],
});

/** Another stock line of the same batch, listed before the live one (as Open mSupply may list them). */
function sameBatchFirst(rig: MsupplyRig, id: string, packs: number) {
  const lines = rig.ms.state.stockLines;
  const live = lines.get(LIVE)!;
  lines.delete(LIVE);
  lines.set(id, { ...live, id, totalNumberOfPacks: packs, availableNumberOfPacks: packs });
  lines.set(LIVE, live);
}

const packsOf = (rig: MsupplyRig, id: string) => rig.ms.state.stockLines.get(id)!.totalNumberOfPacks;

for (const engine of engineCases())
  t.test(`${engine.name}: a lot on several stock lines`, { skip: engine.skip }, async (t) => {
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' });
    t.equal(rig.ms.state.stockLines.get(LIVE)!.batch, BATCH);
    sameBatchFirst(rig, 'stock-hcn-pcm500t-old', 0);

    const count = await rig.fhir('POST', '/fhir/R5/InventoryReport', reportOf('MS-SAME-CNT', 7));
    t.equal(count.status, 201, why(count));
    t.equal(packsOf(rig, LIVE), 7, 'the count went to the line with packs');
    t.equal(packsOf(rig, 'stock-hcn-pcm500t-old'), 0, 'the used-up line is untouched');

    const taken = await rig.fhir('POST', '/fhir/R5/InventoryReport', reportOf('MS-SAME-ADJ', 2, 'subtraction'));
    t.equal(taken.status, 201, why(taken));
    t.equal(packsOf(rig, LIVE), 5, 'two packs taken from the line with packs');

    sameBatchFirst(rig, 'stock-hcn-pcm500t-dear', 3);
    const finalised = rig.ms.state.counts().finalisedStocktakes;
    const refused = await rig.fhir('POST', '/fhir/R5/InventoryReport', reportOf('MS-SAME-TWO', 9));
    t.equal(refused.status, 422, why(refused));
    t.match(refused.body.issue[0].diagnostics, /batch N20261 is on 2 stock lines with packs in store HC-NORTH/);
    t.equal(packsOf(rig, LIVE), 5, 'nothing written');
    t.equal(packsOf(rig, 'stock-hcn-pcm500t-dear'), 3);
    t.equal(rig.ms.state.counts().finalisedStocktakes, finalised);
  });
