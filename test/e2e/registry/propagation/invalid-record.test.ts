/**
 * A registry that publishes an invalid Location (a status outside the value set, a latitude that
 * is not a number) on a pull: that version reaches no system and is reported with what is wrong,
 * the rest of the page propagates, a later full read still counts the facility as present, and the
 * registry's corrected version propagates once. The push feed refuses the same Location with a 400
 * (feed-routes.ts); the pull cannot answer the registry, so it leaves the version out and says so.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { propagateChanges } from '../../../../src/jobs/propagate-job.js';
import { drain, startPropagationRig, type PropagationRig } from '../../../support/propagation-rig.js';

const BROKEN = 'LK-HC-101';
const OTHER = 'LK-HC-102';

const openlmis = (rig: PropagationRig): Connector => rig.connectors.list().find((x) => x.system === 'openlmis')!;

async function idByCode(c: Connector, code: string): Promise<string> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  return items.find((f) => f.kind === 'facility')!.id!;
}

t.test('an invalid Location on a pull reaches no system, is reported, and its fix propagates once', async (t) => {
  // a full read on every pull: the invalid facility must still count as listed
  const rig = await startPropagationRig({ routing: { default: null }, env: { REGISTRY_FULL_READ_HOURS: '0.000001' } });
  t.teardown(() => rig.close());
  const ids = { broken: await idByCode(openlmis(rig), BROKEN), other: await idByCode(openlmis(rig), OTHER) };
  await rig.link('openlmis', ids.broken, facilityId(BROKEN));
  await rig.link('openlmis', ids.other, facilityId(OTHER));
  await rig.pull();
  rig.writes.length = 0;
  const propagate = async () => {
    const result = await propagateChanges({
      store: rig.store,
      settings: () => rig.settings,
      propagator: rig.side.propagator,
      registry: rig.side.registry,
    });
    await drain(rig.store);
    return result;
  };

  const current = rig.mfr.state.latest('Location', facilityId(BROKEN))!.resource!;
  const broken = rig.mfr.state.put({
    ...current,
    name: 'Mberewa HC (broken)',
    status: 'decommissioned',
    position: { latitude: 'south', longitude: 35.1 },
  });
  rig.mfr.state.rename(OTHER, 'Kasito Health Centre II');
  await new Promise((r) => setTimeout(r, 10)); // past the 3.6 ms full-read interval

  const result = await propagate();
  t.equal(result.counts?.refused, 1, 'one version refused');
  t.equal(result.counts?.absent, 0, 'the full read lists the facility: it is not closed as absent');
  t.match(result.detail, new RegExp(`Location/${facilityId(BROKEN)} version ${broken.versionId}`), 'names it');
  t.match(result.detail, /Location\.status/, 'says what is wrong');
  t.match(result.detail, /Location\.position\.latitude/, 'every problem');
  const brokenNow = await openlmis(rig).facilities!.get(ids.broken);
  t.equal(brokenNow?.name, 'Mberewa Health Centre', 'the invalid version wrote nothing');
  t.equal(brokenNow?.status, 'active');
  t.equal((await openlmis(rig).facilities!.get(ids.other))?.name, 'Kasito Health Centre II', 'the rest propagates');
  t.equal(
    rig.writes.filter((w) => w.system === 'openlmis' && w.url.includes(ids.broken)).length,
    0,
    'no write for the broken facility',
  );

  // the registry corrects it: that version propagates, once, even when the pull repeats
  rig.mfr.state.put({
    ...broken.resource!,
    name: 'Mberewa Health Centre (fixed)',
    status: 'active',
    position: { latitude: -13.9, longitude: 35.1 },
  });
  await propagate();
  t.equal((await openlmis(rig).facilities!.get(ids.broken))?.name, 'Mberewa Health Centre (fixed)');
  await propagate();
  t.equal(
    rig.writes.filter((w) => w.system === 'openlmis' && w.url.includes(ids.broken) && w.method === 'PUT').length,
    1,
    'the fixed version written once',
  );
});
