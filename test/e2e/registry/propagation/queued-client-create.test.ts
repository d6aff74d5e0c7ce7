/**
 * A registry facility new to a system is created there only after a client's create of the same
 * record that is still queued. Through the real routing, outbox, OpenLMIS connector and its
 * sandbox, on both store engines: OpenLMIS is down, so a client's POST of a Location by its code
 * is queued (202, retried by the worker); the registry then opens a facility of that code, which
 * the crosswalk links to nothing in OpenLMIS (a create). Written at once, the two creates race:
 * the second fails as a duplicate code, or the client's older payload lands over the registry's.
 * The propagation waits for the client's write (the record the outbox orders it by: its code), and
 * its create, made after, updates what the client created: one facility, the registry's name last.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { until } from '../../../support/net.js';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { createRoutingServices } from '../../../../src/routing/index.js';
import { registryCodeSystem } from '../../../../src/registry/propagation/propagator.js';
import type { UpstreamCall } from '../../../../src/platform/call-recording.js';
import { startPropagationRigOn } from '../../../support/propagation-rig.js';
import { idByCode, linkInOpenLmis } from '../../../support/linked-facility.js';

const LINKED = 'LK-HC-101';
const CODE = 'LK-HC-190';
const REGISTRY_ID = facilityId(CODE);

/** The facility names the mediator sent to OpenLMIS, in order, with the status each got. */
function facilityWrites(writes: UpstreamCall[]): string[] {
  return writes
    .filter((w) => w.system === 'openlmis' && /\/api\/facilities(\/[^/?]+)?(\?|$)/.test(new URL(w.url).pathname))
    .map((w) => {
      const body = typeof w.requestBody === 'string' ? JSON.parse(w.requestBody) : w.requestBody;
      return `${w.method} ${(body as { name: string }).name} ${w.response?.status ?? 'no answer'}`;
    });
}

for (const engine of engineCases()) {
  t.test(
    `a registry create waits for a queued client create of the same code (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, {
        routing: { default: 'openlmis' },
        maxAttempts: 1_000, // the client's job outlives the outage
        breakerOpenMs: 200, // OpenLMIS back, the waiting jobs are tried again at once
      });
      // OpenLMIS reconciled (a create there is planned, not held); the registry as it is
      const { lmis, lmisId } = await linkInOpenLmis(rig, LINKED, facilityId(LINKED));
      await rig.pull();
      rig.writes.length = 0;
      const services = createRoutingServices({
        connectors: rig.connectors.list(),
        outbox: rig.outbox,
        store: rig.store,
      });

      const down = rig.openlmis.faults.add({
        method: 'POST',
        path: '/api/facilities',
        action: { type: 'status', status: 503 },
      });
      const template = (await lmis.facilities!.get(lmisId))!;
      const written = await services.facilities!.write(
        {
          ...template,
          id: undefined,
          source: undefined,
          name: 'Client name',
          lastUpdated: undefined,
          identifiers: [{ system: registryCodeSystem(rig.settings), value: CODE }],
        },
        { mode: 'create' },
      );
      t.equal(written.status, 'accepted', 'the client create is queued');
      const queued = (await rig.store.listJobs({ flow: 'facility' })).filter((j) => j.system === 'openlmis');
      t.match(queued, [{ status: /^(pending|in-flight)$/ }], "the client's OpenLMIS job waits");

      rig.mfr.state.open({ code: CODE, name: 'Registry name', parent: 'LKL-N-MBR', point: [34.2, -10.5] });
      const pulled = rig.pull();
      await until(
        'the propagation to OpenLMIS tried',
        async () =>
          (await rig.store.listJobs({ flow: 'propagate' })).some(
            (j) =>
              j.system === 'openlmis' &&
              (j.payload as { registryId: string }).registryId === REGISTRY_ID &&
              (j.attempts > 0 || !!j.lastError),
          ) || undefined,
        20_000,
      );
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { action: 'create' }, 'planned as a create');
      await new Promise((r) => setTimeout(r, 1_000)); // room for a propagation that does not wait
      t.notOk(
        facilityWrites(rig.writes).some((w) => w.includes('Registry name')),
        `no registry write while the client create waits: ${facilityWrites(rig.writes)}`,
      );
      rig.openlmis.faults.remove(down.id);
      await pulled;

      const answered = facilityWrites(rig.writes).filter((w) => /\b2\d\d$/.test(w));
      t.match(
        answered,
        [/^POST Client name 2/, /^PUT Registry name 2/],
        'the client create, then the registry change as an update of it',
      );
      const { items } = await lmis.facilities!.search({ identifier: { value: CODE } });
      const twins = items.filter((f) => f.kind === 'facility');
      t.equal(twins.length, 1, 'one OpenLMIS facility of the code');
      t.equal(twins[0]?.name, 'Registry name', 'OpenLMIS holds the registry change');
      const created = await idByCode(lmis, CODE);
      t.match(await rig.store.getPropagation(REGISTRY_ID, 'openlmis'), { state: 'done', systemId: created }, 'done');
      t.match(await rig.store.getCrosswalk('openlmis', created!), { registryId: REGISTRY_ID }, 'linked');
    },
  );
}
