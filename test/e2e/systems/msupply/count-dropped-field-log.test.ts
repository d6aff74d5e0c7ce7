/**
 * A count whose batch names a field Open mSupply now refuses on a stocktake line (here a shelf no
 * longer in the store) is applied without it (refused-line-fields.ts), and the client hears only
 * 201. The operator hears of it in the mediator's own log: one warning naming the stocktake, item,
 * batch and field. Through the real mediator, both store engines.
 */
import t from 'tap';
import { packCountAt, startMsupplyRigOn, toStore } from '../../../support/msupply-e2e.js';
import { why } from '../../../support/openlmis-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { logLines } from '../../../support/log-lines.js';

const STORE = 'store-hc-north';
const ORS = '10860012300072';
const rule = { ...toStore(STORE), default: null };
const FLOWS = { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } };

for (const engine of engineCases())
  t.test(`${engine.name}: a count leaving a refused shelf out says so in the log`, { skip: engine.skip }, async (t) => {
    const log = logLines();
    const rig = await startMsupplyRigOn(t, engine, FLOWS, { OPENLMIS_BASE_URL: '' }, { logger: log.logger });
    const stock = [...rig.ms.state.stockLines.values()].find((l) => l.storeId === STORE && l.itemId === 'item-ors')!;
    stock.more = { ...stock.more, locationId: 'location-shelf-a' };
    rig.ms.state.lineFields.locations.delete('location-shelf-a');

    const count = packCountAt({ id: 'dropped-shelf', value: 'MS-DROPPED-SHELF', store: STORE, gtin: ORS, packs: 12 });
    const res = await rig.fhir('POST', '/fhir/R5/InventoryReport', count);
    t.equal(res.status, 201, why(res));
    t.equal(rig.ms.state.stockLines.get(stock.id)!.totalNumberOfPacks, 12, 'counted');

    const said = log.lines().filter((l) => /^msupply: a count left /.test(l.msg));
    const [stocktake] = [...rig.ms.state.stocktakes.values()];
    t.equal(said.length, 1, 'one warning');
    t.match(said[0], {
      level: 40,
      component: 'connectors',
      system: 'msupply',
      storeId: STORE,
      stocktakeId: stocktake.id,
      stocktakeNumber: stocktake.stocktakeNumber,
      itemId: 'item-ors',
      itemCode: rig.ms.state.items.get('item-ors')!.code,
      batch: stock.batch,
      stockLineId: stock.id,
      field: 'location',
      reason: 'LocationDoesNotExist',
    });
  });
