/**
 * A registry pull cut off part way, on a bad day: the registry answers a later page with a 503, a
 * dropped connection, or a proxy's HTML page, one after the other, then comes back. Whichever
 * change feed is used (history pages, or `_lastUpdated` searches) and on both store engines:
 * the high-water mark never passes a change that was not taken in, and once the registry answers
 * every change reaches each system once: ten new facilities made once each, and a facility
 * renamed twice and then closed between two pulls written once, as the registry left it.
 * Real connectors and sandboxes.
 */
import t, { type Test } from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { FaultAction } from '../../../../sandbox/openlmis/faults.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { CHANGES_CURSOR, propagateChanges } from '../../../../src/jobs/propagate-job.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startPropagationRigOn, type PropagationRig } from '../../../support/propagation-rig.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';

const EVERYWHERE: FlowRouting = { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] };
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
const LINKED = 'LK-HC-101';
const NEW = Array.from({ length: 10 }, (_, i) => `LK-IP-${String(i + 1).padStart(2, '0')}`);
const PAGE = 4;

/** What a later page of the feed answers while the registry is having its bad day. */
const FAULTS: Array<[string, FaultAction]> = [
  ['a 503', { type: 'status', status: 503 }],
  ['a dropped connection', { type: 'reset' }],
  [
    "a proxy's HTML page",
    { type: 'status', status: 200, body: '<html><body><h1>Gateway maintenance</h1></body></html>' },
  ],
];

/** One pull, its failure returned rather than thrown. */
const pullOnce = (rig: PropagationRig) =>
  propagateChanges({
    store: rig.store,
    settings: () => rig.settings,
    propagator: rig.side.propagator,
    registry: rig.side.registry,
  }).then(
    () => undefined,
    (err: unknown) => err as Error,
  );

/**
 * Every registry version at or before the stored mark is taken in (the store keeps it or a later
 * version of its Location), unless a later version past the mark supersedes it (a search lists
 * only a Location's current version). A mark past one not taken would skip it for good.
 */
async function markCoversTaken(rig: PropagationRig, t: Test, what: string): Promise<void> {
  const cursor = await rig.store.getCursor(CHANGES_CURSOR);
  const mark = Date.parse(cursor!);
  const log = rig.mfr.state.log.filter((v) => v.type === 'Location');
  const missed: string[] = [];
  for (const v of log) {
    if (Date.parse(v.lastUpdated) > mark) continue;
    if (log.some((w) => w.id === v.id && w.versionId > v.versionId && Date.parse(w.lastUpdated) > mark)) continue;
    const kept = await rig.store.getRegistryRecord(v.id);
    if (!kept || Number.parseInt(kept.version, 10) < v.versionId) missed.push(`${v.id}@${v.versionId}`);
  }
  t.same(missed, [], `${what}: nothing at or before the mark (${cursor}) is left out`);
}

/** Each system's successful writes of one record, as `METHOD name|active` (a DELETE as `DELETE`). */
function writesOf(rig: PropagationRig, from: number, ids: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(SYSTEMS.map((s) => [s, []]));
  for (const w of rig.writes.slice(from)) {
    const system = w.system ?? '';
    if (!SYSTEMS.includes(system) || !w.url.includes(ids[system]) || (w.response?.status ?? 0) >= 300) continue;
    const body = (typeof w.requestBody === 'string' ? JSON.parse(w.requestBody) : w.requestBody) as
      { name?: string; active?: boolean; closedDate?: string } | undefined;
    out[system].push(
      body ? `${w.method} ${body.name}|${body.active ?? (body.closedDate ? 'closed' : 'open')}` : w.method,
    );
  }
  return out;
}

for (const engine of engineCases())
  for (const feed of ['history', 'lastUpdated'] as const)
    t.test(
      `${engine.name}, ${feed} feed: a pull cut off part way, three ways, then resumed`,
      { skip: engine.skip },
      async (t) => {
        const rig = await startPropagationRigOn(t, engine, {
          routing: EVERYWHERE,
          env: { REGISTRY_CHANGE_FEED: feed, REGISTRY_PAGE_SIZE: String(PAGE) },
          breakerOpenMs: 50,
        });
        const ids = await linkInThreeSystems(rig, LINKED, facilityId(LINKED), LOC.mwangaza);
        const writesBefore = rig.writes.length;

        // between two pulls: the linked facility renamed twice and closed, and ten new facilities
        rig.mfr.state.rename(LINKED, 'Mberewa HC (first)');
        for (const code of NEW.slice(0, 5))
          rig.mfr.state.open({ code, name: `Clinic ${code}`, parent: 'LKL-N-MBR', point: [34.1, -10.4] });
        rig.mfr.state.rename(LINKED, 'Mberewa HC (second)');
        for (const code of NEW.slice(5))
          rig.mfr.state.open({ code, name: `Clinic ${code}`, parent: 'LKL-N-MBR', point: [34.1, -10.4] });
        rig.mfr.state.close(LINKED);

        // the feed's second request fails: the history's next page, or the second `_lastUpdated` search
        const later =
          feed === 'history' ? '/fhir/Location/_history?**_offset=**' : '/fhir/Location?**_lastUpdated=ge**';
        for (const [what, action] of FAULTS) {
          const before = await rig.store.getCursor(CHANGES_CURSOR);
          // the first request of the feed goes through (a search's first is one like the later ones)
          const pass =
            feed === 'lastUpdated'
              ? rig.mfr.faults.add({ method: 'GET', path: later, times: 1, action: { type: 'delay', ms: 0 } })
              : undefined;
          const fault = rig.mfr.faults.add({ method: 'GET', path: later, action });
          const err = await pullOnce(rig);
          if (pass) rig.mfr.faults.remove(pass.id);
          rig.mfr.faults.remove(fault.id);
          t.ok(err, `${what}: the run fails (${err?.message})`);
          await markCoversTaken(rig, t, what);
          if (feed === 'history')
            t.equal(
              await rig.store.getCursor(CHANGES_CURSOR),
              before,
              `${what}: a history answer not read whole moves no mark`,
            );
        }

        await rig.pull();
        await markCoversTaken(rig, t, 'after the registry came back');
        for (const system of SYSTEMS) {
          const c = connectorOf(rig, system);
          const linked = await c.facilities!.get(ids[system]);
          t.match(linked, { name: 'Mberewa HC (second)', status: 'inactive' }, `${system}: renamed and closed`);
          for (const code of NEW) {
            const { items } = await c.facilities!.search({ identifier: { value: code } });
            t.equal(items.filter((f) => f.kind === 'facility').length, 1, `${system}: ${code} made once`);
          }
        }
        // the linked facility: no version written twice, the registry's last one written last
        for (const [system, writes] of Object.entries(writesOf(rig, writesBefore, ids))) {
          t.same([...new Set(writes)], writes, `${system}: no write of the linked facility repeated`);
          t.match(writes.at(-1), system === 'openmrs' ? 'DELETE' : /second/, `${system}: the closure lands last`);
        }
        for (const code of [LINKED, ...NEW]) {
          const id = facilityId(code);
          for (const system of SYSTEMS)
            t.match(await rig.store.getPropagation(id, system), { state: 'done' }, `${code} done in ${system}`);
        }
      },
    );
