/**
 * A registry facility new to a system is created there only after a client's create of the same
 * record that is still queued. Through the real routing, outbox, connectors and sandboxes (OpenLMIS,
 * whose upsert finds a facility by its code; OpenMRS, by the registry code; DHIS2, by the UID it
 * derives from the code), on both store engines: the system is down, so a client's POST of a
 * Location by its code is queued (202, retried by the worker); the registry then opens a facility
 * of that code, which the crosswalk links to nothing there (a create). Written at once, the two
 * creates race: the second fails as a duplicate code, or the client's older payload lands over the
 * registry's. The propagation waits for the client's write (the record the outbox orders it by),
 * and its create, made after, updates what the client created: one record, the registry's name last.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { createRoutingServices } from '../../../../src/routing/index.js';
import { registryCodeSystem } from '../../../../src/registry/propagation/propagator.js';
import type { UpstreamCall } from '../../../../src/platform/call-recording.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { connectorOf, idByCode } from '../../../support/linked-facility.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { PropagationRig } from '../../../support/propagation-rig.js';
import { seedUid } from '../../../../sandbox/dhis2/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';

const LINKED = 'LK-HC-101';
const CODE = 'LK-HC-190';
const REGISTRY_ID = facilityId(CODE);

interface SystemCase {
  system: 'openlmis' | 'openmrs' | 'dhis2';
  /** The system's record of the linked facility (the crosswalk reconciled: a create is planned, not held). */
  linked(rig: PropagationRig): Promise<string>;
  /**
   * Where the client's Location goes (default: the shipped routing.json, OpenLMIS first) and the
   * system whose record of the linked facility lends it its content (its parent is that system's).
   */
  clientRouting?: FlowRouting;
  templateFrom: 'openlmis' | 'dhis2';
  /**
   * The parent the client's Location names, when not the template's: one the system holds (OpenMRS
   * refuses a partOf it does not have, 5884afa; an OpenLMIS zone means nothing there).
   */
  clientPartOf?: string;
  /** The path of the system's create, and of its facility writes (create and update). */
  createPath: string;
  facilityPath: RegExp;
}

const CASES: SystemCase[] = [
  {
    system: 'openlmis',
    linked: async (rig) => (await idByCode(connectorOf(rig, 'openlmis'), LINKED))!,
    createPath: '/api/facilities',
    facilityPath: /^\/api\/facilities(\/[^/]+)?$/,
    templateFrom: 'openlmis',
  },
  {
    system: 'openmrs',
    linked: async () => LOC.mwangaza,
    createPath: '/openmrs/ws/rest/v1/location',
    facilityPath: /^\/openmrs\/ws\/rest\/v1\/location(\/[^/]+)?$/,
    // the client writes to OpenMRS, under an OpenMRS location (as a facility app of OpenMRS would)
    clientRouting: { default: 'openmrs' },
    templateFrom: 'openlmis',
    clientPartOf: LOC.nairobiCounty,
  },
  {
    // the org unit's UID is derived from the code (no id, no DHIS2 UID given): the client's and the
    // registry's create make the same org unit
    system: 'dhis2',
    linked: async () => seedUid(`orgUnit:${LINKED}`),
    createPath: '/api/organisationUnits',
    facilityPath: /^\/api\/organisationUnits(\/[^/]+)?$/,
    clientRouting: { default: 'dhis2' },
    templateFrom: 'dhis2',
  },
];

/** The facility names the mediator sent to the system, in order, each with the status it got. */
function facilityWrites(writes: UpstreamCall[], c: SystemCase): string[] {
  return writes.flatMap((w) => {
    if (w.system !== c.system || !c.facilityPath.test(new URL(w.url).pathname)) return [];
    const body = (typeof w.requestBody === 'string' ? JSON.parse(w.requestBody) : w.requestBody) as { name?: string };
    return body?.name ? [`${w.method} ${body.name} ${w.response?.status ?? 'no answer'}`] : [];
  });
}

for (const engine of engineCases())
  for (const c of CASES)
    t.test(
      `a registry create waits for a queued client create of the same code: ${c.system} (${engine.name})`,
      { skip: engine.skip },
      async (t) => {
        const rig = await startPropagationRigOn(t, engine, {
          routing: { default: c.system },
          maxAttempts: 1_000, // the client's job outlives the outage
          breakerOpenMs: 200, // the system back, the waiting jobs are tried again at once
        });
        // the system reconciled (a create there is planned, not held); the registry as it is
        await rig.link(c.system, await c.linked(rig), facilityId(LINKED));
        await rig.pull();
        rig.writes.length = 0;
        const services = createRoutingServices({
          connectors: rig.connectors.list(),
          outbox: rig.outbox,
          store: rig.store,
          ...(c.clientRouting ? { routing: { flows: { facilities: c.clientRouting } } } : {}),
        });
        const connector = connectorOf(rig, c.system);
        const sent = () => facilityWrites(rig.writes, c);

        const down = rig[c.system].faults.add({
          method: 'POST',
          path: c.createPath,
          action: { type: 'status', status: 503 },
        });
        // a Location as a client sends one: a real facility's content, under the new code
        const lender = connectorOf(rig, c.templateFrom);
        const template = (await lender.facilities!.get((await idByCode(lender, LINKED))!))!;
        const written = await services.facilities!.write(
          {
            ...template,
            id: undefined,
            source: undefined,
            name: 'Client name',
            partOf: c.clientPartOf ?? template.partOf,
            lastUpdated: undefined,
            identifiers: [{ system: registryCodeSystem(rig.settings), value: CODE }],
          },
          { mode: 'create' },
        );
        t.not(written.status, 'rejected', 'the client create is taken');
        const queued = (await rig.store.listJobs({ flow: 'facility' })).filter((j) => j.system === c.system);
        t.match(queued, [{ status: /^(pending|in-flight)$/ }], `the client's ${c.system} job waits`);

        rig.mfr.state.open({ code: CODE, name: 'Registry name', parent: 'LKL-N-MBR', point: [34.2, -10.5] });
        const pulled = rig.pull();
        await until(
          `the propagation to ${c.system} tried`,
          async () =>
            (await rig.store.listJobs({ flow: 'propagate' })).some(
              (j) =>
                j.system === c.system &&
                (j.payload as { registryId: string }).registryId === REGISTRY_ID &&
                (j.attempts > 0 || !!j.lastError),
            ) || undefined,
          20_000,
        );
        t.match(await rig.store.getPropagation(REGISTRY_ID, c.system), { action: 'create' }, 'planned as a create');
        await new Promise((r) => setTimeout(r, 1_000)); // room for a propagation that does not wait
        t.notOk(
          sent().some((w) => w.includes('Registry name')),
          `no registry write while the client create waits: ${sent()}`,
        );
        rig[c.system].faults.remove(down.id);
        await pulled;

        const answered = sent().filter((w) => /\b2\d\d$/.test(w));
        t.match(
          answered,
          [/^POST Client name 2/, /^(PUT|POST) Registry name 2/],
          `the client create, then the registry change as an update of it: ${answered}`,
        );
        t.equal(answered.length, 2, 'nothing else written');
        const { items } = await connector.facilities!.search({ identifier: { value: CODE } });
        const twins = items.filter((f) => f.kind === 'facility');
        t.equal(twins.length, 1, `one ${c.system} facility of the code`);
        t.equal(twins[0]?.name, 'Registry name', `${c.system} holds the registry change`);
        t.match(
          await rig.store.getPropagation(REGISTRY_ID, c.system),
          { state: 'done', systemId: twins[0]?.id },
          'done',
        );
        t.match(await rig.store.getCrosswalk(c.system, twins[0]!.id!), { registryId: REGISTRY_ID }, 'linked');
      },
    );
