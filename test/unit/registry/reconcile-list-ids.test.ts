/**
 * A facility list with no id column takes its ids from a code column (`Code`, `mfl_code` …) with a
 * value on every row, no two the same; before, they were row numbers, so a re-sorted file moved
 * every review decision to another facility on the next `reconcile --store`. A stored crosswalk
 * already keyed by row numbers keeps them (its decisions keep their records) and the CLI says so;
 * a list whose code column has a gap or a twin still gets row numbers, and the CLI says that too.
 * Both store engines.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { runReconcileIntoStore } from '../../../src/cli/reconcile.js';
import { loadFacilityList } from '../../../src/registry/facility-list.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { StoreCrosswalkRepository } from '../../../src/registry/store-crosswalk.js';
import { applyReview } from '../../../src/registry/review.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const HEADER = 'Name,Code,County,Sub County';
const FACILITIES = [
  'Abdisamad Disp.,MFL-101,Wajir,Wajir East',
  'Kiambu District Hospital,MFL-102,Kiambu,Kiambu',
  'Mutomo H/C,MFL-103,Kitui,Mutomo',
];
const registryCsv = `id,name,county,sub_county
R1,Abdisamad Dispensary,Wajir,Wajir East
R2,Kiambu District Hospital,Kiambu,Kiambu Town
R3,Mutomo Health Centre,Kitui,Kitui South
`;

/** A writable that keeps what was written. */
function captured(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

function files(t: { teardown(fn: () => unknown): void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'r-list-ids-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const left = path.join(dir, 'clinics.csv');
  const write = (rows: string[]) => fs.writeFileSync(left, [HEADER, ...rows, ''].join('\n'));
  fs.writeFileSync(path.join(dir, 'registry.csv'), registryCsv);
  return {
    left,
    write,
    opts: { left, right: path.join(dir, 'registry.csv'), out: path.join(dir, 'out'), progress: false },
  };
}

t.test('the ids of a list without an id column', async (t) => {
  const { left, write } = files(t);
  write(FACILITIES);
  const byCode = loadFacilityList(left);
  t.equal(byCode.ids, 'code');
  t.same(
    byCode.records.map((r) => r.facility.id),
    ['MFL-101', 'MFL-102', 'MFL-103'],
    'the Code column, not row numbers',
  );
  t.ok(
    byCode.records.every((r) => r.facility.identifiers.some((i) => i.value === r.facility.id)),
    'the code still counts as an identifier in matching',
  );
  write([...FACILITIES, 'Twin Clinic,MFL-101,Kitui,Mutomo']);
  t.same(
    loadFacilityList(left).records.map((r) => r.facility.id),
    ['row-1', 'row-2', 'row-3', 'row-4'],
    'a code column with a twin gives no ids',
  );
  write(FACILITIES);
  t.equal(loadFacilityList(left, { rowIds: true }).records[0].facility.id, 'row-1', 'rowIds keeps row numbers');
});

for (const engine of engineCases())
  t.test(`${engine.name}: reconcile --store`, { skip: engine.skip }, async (t) => {
    t.test('a decision stays with its facility when the file is re-sorted', async (t) => {
      const { store } = await freshStore(engine, t);
      const { write, opts } = files(t);
      const repo = new StoreCrosswalkRepository(store);
      write(FACILITIES);
      const err = captured();
      await runReconcileIntoStore(opts, store, err.stream);
      t.equal(err.text(), '', 'nothing to say: the ids are codes');
      const mutomo = (await repo.get('clinics', 'MFL-103'))!;
      t.ok(mutomo, 'the crosswalk keeps the code as the record id');
      await repo.put(applyReview(mutomo, { op: 'break' }, { user: 'bob', at: '2026-02-01T00:00:00.000Z' }));

      write([...FACILITIES].reverse());
      await runReconcileIntoStore({ ...opts, full: true }, store, captured().stream);
      const rows = await repo.listBySystem('clinics');
      t.same(rows.map((r) => r.systemId).sort(), ['MFL-101', 'MFL-102', 'MFL-103'], 'the same three records');
      t.match(
        rows.find((r) => r.decidedBy === 'bob'),
        { systemId: 'MFL-103', state: 'match-broken' },
        "bob's decision is still Mutomo's",
      );
    });

    t.test('a crosswalk stored with row numbers keeps them, and the CLI says why', async (t) => {
      const { store } = await freshStore(engine, t);
      const { left, write, opts } = files(t);
      write(FACILITIES);
      // as a run before code columns gave ids stored it
      const old = loadFacilityList(left, { rowIds: true, system: 'clinics' });
      await reconcileIntoStore(store, 'clinics', old.records, loadFacilityList(opts.right).records);
      const err = captured();
      await runReconcileIntoStore(opts, store, err.stream);
      t.same(
        (await store.listCrosswalk('clinics')).map((r) => r.systemId).sort(),
        ['row-1', 'row-2', 'row-3'],
        'no second set of rows under codes',
      );
      t.match(err.text(), /clinics\.csv: ids are row numbers, as the stored crosswalk's are/);
    });
  });

t.test('a list with no usable code column: row numbers, said on stderr', async (t) => {
  const { write, opts } = files(t);
  write([...FACILITIES, 'No Code Clinic,,Kitui,Mutomo']);
  const { runReconcile } = await import('../../../src/cli/reconcile.js');
  const err = captured();
  runReconcile(opts, err.stream);
  t.match(
    err.text(),
    /clinics\.csv: no id column, nor a code column .*: ids are row numbers, which a re-sorted file moves/,
  );
});
