/**
 * InventoryReport `date` is when the report was made, or the period it reports on. Only DHIS2
 * took it (it reads the periods of the range); a live snapshot of Open mSupply (as of OpenLMIS
 * and OpenMRS) was listed for any date, so `date=lt2020-01-01` answered today's stock. Now every
 * report is held to it. Through the Open mSupply sandbox (DHIS2's periods: systems/dhis2/flows).
 */
import t from 'tap';
import { startMsupplyRigOn } from '../../support/msupply-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const AT = `location=${encodeURIComponent('Location/store-hc-north')}`;

for (const engine of engineCases())
  t.test(
    `a live snapshot meets a date search by its reportedDateTime (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startMsupplyRigOn(t, engine, { stock: { default: 'msupply' } }, { OPENLMIS_BASE_URL: '' });
      const ids = async (query: string) => {
        const res = await rig.fhir('GET', `/fhir/R5/InventoryReport?${AT}${query}`);
        t.equal(res.status, 200, query || 'the whole stock');
        return (res.body.entry ?? []).map((e: any) => e.resource.id) as string[];
      };
      const [snapshot] = await ids('');
      const read = await rig.fhir('GET', `/fhir/R5/InventoryReport/${snapshot}`);
      const day = read.body.reportedDateTime.slice(0, 10);
      const q = (...dates: string[]) => dates.map((d) => `&date=${encodeURIComponent(d)}`).join('');

      t.same(await ids(q('lt2020-01-01')), [], 'not reported before 2020');
      t.same(await ids(q('gt2999-01-01')), [], 'nor after 2999');
      t.same(await ids(q(day)), [snapshot], 'reported that day');
      t.same(await ids(q('ge2020-01-01', `le${day}`)), [snapshot], 'within both bounds');
      t.same(await ids(q('ge2020-01-01', 'le2020-12-31')), [], 'a range it is not in');
      t.same(await ids(q(`ne${day}`)), [], 'ne the day it was reported');
    },
  );
