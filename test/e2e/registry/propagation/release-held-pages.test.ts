/**
 * The held changes a jurisdiction's arrival releases are read page by page, in registry id order,
 * until none is left: with more held rows than a page (a national registry, a system never
 * reconciled holding every facility), those past the first page are planned too. Before, one read
 * of the newest 10,000 held rows was all: a district's waiting creates older than those stayed
 * held for good. A page of 2 here (PropagatorDeps.heldPage) stands for the 10,000. Real feed
 * routes, connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { facilityId, jurisdictionId } from '../../../../sandbox/mfr/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';
import { feedApp, feedPropagator, location, push } from '../../../support/pushed-location.js';

const ROUTING: FlowRouting = { default: 'openlmis' };
const DISTRICT_CODE = 'LKL-N-TSG';
const DISTRICT = jurisdictionId(DISTRICT_CODE);
/** Waiting for the district, held first (the oldest holds). */
const UNDER_DISTRICT = ['LK-HC-771', 'LK-HC-772', 'LK-HC-773'];
/** Waiting for a jurisdiction never published, held last (the newest holds). */
const ELSEWHERE = ['LK-HC-781', 'LK-HC-782'];

const held = async (rig: PropagationRig, code: string) => rig.store.getPropagation(facilityId(code), 'openlmis');

for (const engine of engineCases())
  t.test(
    `${engine.name}: a district releases every create waiting for it, past the first page of holds`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: ROUTING });
      const lmis = connectorOf(rig, 'openlmis');
      await rig.link('openlmis', (await idByCode(lmis, 'LK-HC-101'))!, facilityId('LK-HC-101')); // reconciled
      const app = await feedApp(t, rig, ROUTING, { heldPage: 2 });
      for (const code of UNDER_DISTRICT)
        await push(app, location(facilityId(code), code, `Clinic ${code}`, 'facility', DISTRICT));
      for (const code of ELSEWHERE)
        await push(app, location(facilityId(code), code, `Clinic ${code}`, 'facility', 'jur-never-published'));
      await drain(rig.store);
      for (const code of [...UNDER_DISTRICT, ...ELSEWHERE])
        t.match(await held(rig, code), { state: 'held', reason: /registry parent/ }, `${code} waits for its parent`);

      await push(app, location(DISTRICT, DISTRICT_CODE, 'Tsangano District', 'jurisdiction', 'jur-lkl-n'));
      await drain(rig.store);
      const zone = await idByCode(lmis, DISTRICT_CODE, 'area');
      for (const code of UNDER_DISTRICT) {
        t.match(
          await held(rig, code),
          { action: 'create', state: 'done' },
          `${code} created once the district is published`,
        );
        t.equal(
          (await lmis.facilities!.get((await idByCode(lmis, code))!))?.partOf,
          zone,
          `${code} under the district`,
        );
      }
      for (const code of ELSEWHERE) t.match(await held(rig, code), { state: 'held' }, `${code} still waits`);

      // the propagate run's release (every held row, no parent): those left stay held, nothing is written
      const writes = rig.writes.length;
      t.equal(await feedPropagator(rig, ROUTING, { heldPage: 2 }).releaseHeld(), 0, 'nothing released');
      await drain(rig.store);
      t.equal(rig.writes.length, writes, 'nothing written again');
      for (const code of ELSEWHERE) t.match(await held(rig, code), { state: 'held' }, `${code} still waits`);
    },
  );
