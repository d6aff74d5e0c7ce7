/**
 * Registry propagation throughput (issue 14): registry changes per second from the registry pull
 * to OpenLMIS, DHIS2 and OpenMRS (Open mSupply takes no facility writes), through the mediator
 * (propagate job: store, crosswalk plan, outbox, connectors), beside the same upstream calls made
 * directly (the registry read, then each connector's upsert of the same facility, with the same
 * concurrency per system and no store). Each side opens its own new facilities in the registry
 * sandbox, so both create the same number of records in the same sandboxes; a warm-up batch runs
 * first on each side. Sandboxes share this process (both sides pay for them alike).
 *   npm run bench:propagate -- [--changes 200] [--runs 3]
 */
import { Command } from 'commander';
import { eachLimited } from '../src/platform/each-limited.js';
import { facilityId } from '../sandbox/mfr/index.js';
import { LOC } from '../sandbox/openmrs/index.js';
import { observeUpstreamCalls } from '../src/platform/call-recording.js';
import { facilityToWrite } from '../src/registry/propagation/write.js';
import { findArea } from '../src/registry/propagation/areas.js';
import { registryCodeSystem } from '../src/registry/propagation/propagator.js';
import { systemTypes, type FacilityTypeMap } from '../src/registry/propagation/facility-types.js';
import { FACILITY_TYPES_FILE } from '../src/registry/propagation/facility-types.js';
import { activeMapping } from '../src/config/mappings.js';
import type { Connector, StepJournal } from '../src/routing/ports.js';
import type { RegistryRecord } from '../src/registry/mfr/types.js';
import { startPropagationRig, type PropagationRig } from '../test/support/propagation-rig.js';

const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
const PER_SYSTEM = 4; // the outbox's default concurrency per system

const opts = new Command()
  .option('--changes <n>', 'registry changes per measured batch', '200')
  .option('--runs <n>', 'measured batches per side', '3')
  .parse()
  .opts<{ changes: string; runs: string }>();

const journal = (key: string): StepJournal => ({ idempotencyKey: key, run: (_step, action) => action() });

function openBatch(rig: PropagationRig, prefix: string, n: number): void {
  for (let i = 0; i < n; i++)
    rig.mfr.state.open({
      code: `${prefix}-${i}`,
      name: `Bench Clinic ${prefix} ${i}`,
      parent: 'LKL-N-MBR',
      point: [34.1, -10.4],
    });
}

/** The same upstream calls without the mediator: read the registry changes, upsert each in each system. */
async function direct(rig: PropagationRig, cursor: { value?: string }): Promise<number> {
  const started = performance.now();
  const client = rig.side.registry()!;
  const records: RegistryRecord[] = [];
  for await (const page of client.changesSince(cursor.value)) {
    records.push(...page.records.filter((r) => r.facility?.kind === 'facility'));
    cursor.value = page.cursor;
  }
  const types = activeMapping<FacilityTypeMap>(FACILITY_TYPES_FILE);
  const connectors = rig.connectors.list().filter((c) => SYSTEMS.includes(c.system));
  const areas: Record<string, Promise<string | undefined>> = {};
  await Promise.all(
    connectors.map((c: Connector) =>
      eachLimited(records, PER_SYSTEM, async (r) => {
        // the district once per system, as the propagator's area cache does
        const parent = { id: await (areas[c.system] ??= findArea(c.facilities!, 'Mberewa District')) };
        const write = facilityToWrite({
          registry: r.facility!,
          parentId: parent.id,
          registryCodeSystem: registryCodeSystem(rig.settings),
          types: systemTypes(types, r.facility!.types, c.system).codes,
        });
        await c.facilities!.upsert!(write, journal(`${r.id}|${c.system}`));
      }),
    ),
  );
  return performance.now() - started;
}

/** Long enough for a batch of hundreds of outbox jobs on a shared machine: a bench measures, it does not time out. */
const DRAIN_MS = 600_000;

async function viaMediator(rig: PropagationRig): Promise<number> {
  const started = performance.now();
  await rig.pull(DRAIN_MS);
  return performance.now() - started;
}

const rig = await startPropagationRig({
  routing: { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] },
  env: { REGISTRY_FULL_READ_HOURS: '0' },
});
try {
  const lmis = await rig.connectors
    .list()
    .find((c) => c.system === 'openlmis')!
    .facilities!.search({ identifier: { value: 'LK-HC-101' } });
  const dhis2 = await rig.connectors
    .list()
    .find((c) => c.system === 'dhis2')!
    .facilities!.search({ identifier: { value: 'LK-HC-101' } });
  await rig.link('openlmis', lmis.items[0].id!, facilityId('LK-HC-101'));
  await rig.link('dhis2', dhis2.items[0].id!, facilityId('LK-HC-101'));
  await rig.link('openmrs', LOC.mwangaza, facilityId('LK-HC-101'));
  await rig.pull(DRAIN_MS); // the registry as seeded
  const cursor = { value: (await rig.store.getCursor('registry.changes')) ?? undefined };
  const n = Number(opts.changes);
  let calls = 0;
  observeUpstreamCalls(() => calls++);
  const rows: { side: string; ms: number; calls: number; cpuMs: number }[] = [];
  // CPU of the whole process: the sandboxes run in it too, and both sides pay for them alike, so
  // the difference between the sides is the mediator's own work (store, plan, outbox)
  const measure = async (side: string, batch: string, size: number, run: () => Promise<number>, keep: boolean) => {
    openBatch(rig, batch, size);
    const before = calls;
    const cpu = process.cpuUsage();
    const ms = await run();
    const used = process.cpuUsage(cpu);
    if (keep) rows.push({ side, ms, calls: calls - before, cpuMs: (used.user + used.system) / 1000 });
  };
  // warm both sides, then alternate them so drift hits both alike
  await measure('direct', 'WARM-D', 20, () => direct(rig, cursor), false);
  await rig.store.setCursor('registry.changes', cursor.value!);
  await measure('mediator', 'WARM-M', 20, () => viaMediator(rig), false);
  for (let i = 0; i < Number(opts.runs); i++) {
    cursor.value = (await rig.store.getCursor('registry.changes')) ?? cursor.value;
    await measure('direct', `D${i}`, n, () => direct(rig, cursor), true);
    await rig.store.setCursor('registry.changes', cursor.value!);
    await measure('mediator', `M${i}`, n, () => viaMediator(rig), true);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const side = (s: string) => rows.filter((r) => r.side === s);
  const d = median(side('direct').map((r) => r.ms));
  const m = median(side('mediator').map((r) => r.ms));
  const perSec = (ms: number) => (n / ms) * 1000;
  console.log(`${n} registry changes × ${SYSTEMS.length} systems, median of ${opts.runs} runs each`);
  console.log(
    `  direct upstream calls: ${perSec(d).toFixed(1)} changes/s (${d.toFixed(0)} ms, ${median(side('direct').map((r) => r.calls))} calls)`,
  );
  console.log(
    `  through the mediator:  ${perSec(m).toFixed(1)} changes/s (${m.toFixed(0)} ms, ${median(side('mediator').map((r) => r.calls))} calls)`,
  );
  console.log(`  ratio mediator/direct: ${(d / m).toFixed(2)}× the direct throughput`);
  const cpuD = median(side('direct').map((r) => r.cpuMs)) / n;
  const cpuM = median(side('mediator').map((r) => r.cpuMs)) / n;
  console.log(
    `  process CPU per change: direct ${cpuD.toFixed(2)} ms, mediator ${cpuM.toFixed(2)} ms (${(cpuM / cpuD).toFixed(2)}×; sandboxes included on both sides)`,
  );
  console.log(
    JSON.stringify({
      changes: n,
      directMs: d,
      mediatorMs: m,
      ratio: d / m,
      cpuMsPerChange: { direct: cpuD, mediator: cpuM },
    }),
  );
} finally {
  await rig.close();
}
