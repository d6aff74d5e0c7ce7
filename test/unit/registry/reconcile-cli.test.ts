/** `reconcile --store`: persisted into the configured SQLite database; a re-run re-scores nothing unchanged. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runReconcileIntoStore } from '../../../src/cli/reconcile.js';
import { openStore } from '../../../src/store/index.js';
import { StoreCrosswalkRepository } from '../../../src/registry/store-crosswalk.js';
import { applyReview } from '../../../src/registry/review.js';

const leftCsv = `id,name,county,sub_county
L1,Abdisamad Disp.,Wajir,Wajir East
L2,Kiambu District Hospital,Kiambu,Kiambu
L3,Mutomo H/C,Kitui,Mutomo
`;
const rightCsv = `id,name,county,sub_county
R1,Abdisamad Dispensary,Wajir,Wajir East
R2,Kiambu District Hospital,Kiambu,Kiambu Town
R3,Mutomo Health Centre,Kitui,Kitui South
R4,Kasikeu Dispensary,Makueni,Kilome
`;

t.test('--store persists, re-runs keep rows and human decisions', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'emr.csv'), leftCsv);
  fs.writeFileSync(path.join(dir, 'registry.csv'), rightCsv);
  const store = await openStore({ dataDir: path.join(dir, 'data') });
  t.teardown(() => store.close());
  const opts = {
    left: path.join(dir, 'emr.csv'),
    right: path.join(dir, 'registry.csv'),
    out: path.join(dir, 'out'),
    progress: false,
  };

  const first = await runReconcileIntoStore(opts, store);
  t.match(first.store, { system: 'emr', firstRun: true, written: 3 });
  t.ok(first.pairsCompared > 0, `the pairs the first run compared, not 0: ${first.pairsCompared}`);
  t.equal(first.store?.pairsCompared, first.pairsCompared, 'as the stored run says');
  t.ok(fs.existsSync(path.join(dir, 'data', 'mediator.db')), 'the default SQLite file under DATA_DIR');
  const csv = fs.readFileSync(path.join(dir, 'out', 'crosswalk.csv'), 'utf8');
  t.match(csv, /^emr,L1,R1,auto-match,auto,/m, 'the out dir holds the stored crosswalk');

  const repo = new StoreCrosswalkRepository(store);
  const l3 = (await repo.get('emr', 'L3'))!;
  await repo.put(applyReview(l3, { op: 'break' }, { user: 'bob', at: '2026-02-01T00:00:00.000Z' }), {
    actor: 'bob',
    action: 'review.break',
    subject: 'emr/L3',
  });

  const second = await runReconcileIntoStore({ ...opts, full: true }, store);
  t.match(second.store, { firstRun: false, human: 1 });
  t.match(
    await repo.get('emr', 'L3'),
    { state: 'match-broken', decidedBy: 'bob' },
    'the human decision survives a full re-run',
  );
  t.match(fs.readFileSync(path.join(dir, 'out', 'crosswalk.csv'), 'utf8'), /^emr,L3,,match-broken,.*,bob,/m);
  const third = await runReconcileIntoStore(opts, store);
  t.match(third.store, { rescored: 0, written: 0 });
  t.equal(third.pairsCompared, 0, 'nothing re-scored: no pair compared');
});
