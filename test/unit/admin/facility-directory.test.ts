/**
 * The console's facility directory names registry records from where the reconcile job reads them
 * (src/registry/registry-facilities.ts): the registry server when registry.url is set (here the
 * mCSD sandbox, through the real client), else registry.file. Before, it read only the file, so a
 * mediator with a registry server showed bare ids in the review queue and exported Locations
 * without names, codes or status.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMfrSandbox } from '../../../sandbox/mfr/index.js';
import { mediatorDirectory } from '../../../src/admin/facility-directory.js';

t.test('registry names from the registry server, cached, a failed read not kept', async (t) => {
  const mfr = await startMfrSandbox({ port: 0 });
  t.teardown(() => mfr.close());
  let clock = 1_000_000;
  const settings = { 'registry.url': mfr.url, 'registry.token': 'mfr-sandbox-token', 'registry.pageSize': 10 };
  const directory = mediatorDirectory({
    settings: () => settings as never,
    connectors: () => [],
    ttlMs: 60_000,
    now: () => clock,
  });
  const reads = () => mfr.requests.filter((r) => r.startsWith('GET /fhir/Location?')).length;

  const first = await directory.registry();
  const seeded = mfr.state.summary();
  t.equal(first.size, seeded.facilities, 'every registry facility, no jurisdiction');
  t.equal(first.get('fac-lk-hc-101')?.name, 'Mberewa Health Centre', 'named as the registry names it');
  t.ok(
    first.get('fac-lk-hc-101')?.identifiers?.some((i) => i.value === 'LK-HC-101'),
    'with its registry code',
  );

  const before = reads();
  await directory.registry();
  t.equal(reads(), before, 'read again within the TTL: answered from memory');

  clock += 60_001;
  mfr.state.rename('LK-HC-101', 'Mberewa Rural Health Centre');
  mfr.faults.add({ method: 'GET', path: '/fhir/Location?**_offset=10**', action: { type: 'status', status: 500 } });
  await t.rejects(directory.registry(), /500/, 'a registry page failing fails the read (no partial list)');
  mfr.faults.clear();
  const again = await directory.registry();
  t.equal(again.get('fac-lk-hc-101')?.name, 'Mberewa Rural Health Centre', 'the failure was not kept: read afresh');
});

t.test(
  'registry.url is read before registry.file, as the reconcile job does; the file alone still works',
  async (t) => {
    const mfr = await startMfrSandbox({ port: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), 'directory-'));
    t.teardown(async () => {
      await mfr.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const file = path.join(dir, 'registry.json');
    writeFileSync(file, JSON.stringify([{ id: 'MFR-1', name: 'File Clinic', county: 'Lakeland', mfl_code: 'F1' }]));
    const both = mediatorDirectory({
      settings: () =>
        ({ 'registry.url': mfr.url, 'registry.token': 'mfr-sandbox-token', 'registry.file': file }) as never,
      connectors: () => [],
    });
    const fromServer = await both.registry();
    t.ok(fromServer.has('fac-lk-hc-101') && !fromServer.has('MFR-1'), 'the server, not the file');
    const fileOnly = mediatorDirectory({ settings: () => ({ 'registry.file': file }) as never, connectors: () => [] });
    t.equal((await fileOnly.registry()).get('MFR-1')?.name, 'File Clinic');
    const none = mediatorDirectory({ settings: () => ({}) as never, connectors: () => [] });
    t.equal((await none.registry()).size, 0, 'no registry configured: no names');
  },
);
