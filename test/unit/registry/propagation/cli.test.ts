import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../../src/store/index.js';
import { runPropagationCli } from '../../../support/propagation-cli.js';

const run = runPropagationCli;

t.test('the CLI lists counts and each change with why it is held', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'propagation-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  await store.putRegistryRecords([
    {
      registryId: 'R-1',
      version: '4',
      changedAt: 1,
      seenAt: 1,
      record: { id: 'R-1', facility: { name: 'Kasito HC' } },
    },
  ]);
  const base = { registryId: 'R-1', version: '4', updatedAt: 1_800_000_000_000 };
  await store.putPropagation({
    ...base,
    system: 'dhis2',
    action: 'update',
    state: 'held',
    reason: 'record X is in the review queue',
  });
  await store.putPropagation({
    ...base,
    system: 'openlmis',
    action: 'update',
    state: 'done',
    unsupported: { position: 'none' },
  });
  await store.close();

  const all = await run(dir, []);
  t.match(all, /^openlmis\s+done 1$/m);
  t.match(all, /^dhis2\s+held 1$/m);
  t.match(all, /dhis2\s+held\s+update\s+R-1 Kasito HC — record X is in the review queue/);
  t.match(all, /openlmis\s+done\s+update\s+R-1 Kasito HC \(not kept: position\)/);

  const held = JSON.parse(await run(dir, ['--state', 'held', '--json']));
  t.same(
    held.items.map((i: { system: string }) => i.system),
    ['dhis2'],
  );
});
