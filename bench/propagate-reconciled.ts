/**
 * The first propagation after a reconcile: N registry facilities already held by OpenLMIS, DHIS2
 * and OpenMRS exactly as the registry has them, linked as a reconcile links them, then one
 * propagate run (the registry pull and the outbox drained). Counts the upstream calls by system and
 * method (the writes should be none: nothing differs) and the time.
 *   npx tsx bench/propagate-reconciled.ts [--facilities 200]
 */
import { Command } from 'commander';
import { facilityId } from '../sandbox/mfr/index.js';
import { LOC } from '../sandbox/openmrs/index.js';
import { observeUpstreamCalls } from '../src/platform/call-recording.js';
import { startPropagationRig } from '../test/support/propagation-rig.js';
import { connectorOf, idByCode } from '../test/support/linked-facility.js';
import { openInRegistry, reconciledRecords, registryFacilities } from '../test/support/reconciled-records.js';

const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
const n = Number(
  new Command().option('--facilities <n>', 'facilities reconciled', '200').parse().opts<{ facilities: string }>()
    .facilities,
);
const rig = await startPropagationRig({
  routing: { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] },
});
try {
  // each system reconciled once, the seeded registry settled: what follows counts the N alone
  for (const system of ['openlmis', 'dhis2'])
    await rig.link(system, (await idByCode(connectorOf(rig, system), 'LK-HC-101'))!, facilityId('LK-HC-101'));
  await rig.link('openmrs', LOC.mwangaza, facilityId('LK-HC-101'));
  await rig.pull();
  const mark = (await rig.store.getCursor('registry.changes')) ?? undefined;
  openInRegistry(rig, 'REC', n);
  await reconciledRecords(rig, await registryFacilities(rig, 'REC', mark), SYSTEMS);
  const calls: Record<string, number> = {};
  const stop = observeUpstreamCalls(
    (c) => void (calls[`${c.system} ${c.method}`] = (calls[`${c.system} ${c.method}`] ?? 0) + 1),
  );
  const started = performance.now();
  const run = await rig.pull(1_800_000);
  const ms = performance.now() - started;
  stop();
  console.log(
    `${n} reconciled facilities that agree with the registry, first propagate run: ${(ms / 1000).toFixed(1)} s`,
  );
  for (const [k, v] of Object.entries(calls).sort()) console.log(`  ${k}: ${v}`);
  console.log(JSON.stringify({ facilities: n, ms: Math.round(ms), calls, run }));
} finally {
  await rig.close();
}
