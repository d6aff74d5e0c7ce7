/**
 * `reconcile --store` reads and checks both lists before it opens the store (a refused first run
 * leaves no database behind), then ran with the stored crosswalk's row-id rule: it parsed both
 * lists a second time (a 50k-row list twice). The first read is used where the rule reads the
 * lists the same; a list the rule reads otherwise (ids from a code column, a crosswalk stored
 * with row numbers) is read again with it. Run through the command, on both store engines: the
 * store opener removes the list files, so a second read would fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { reconcileCommand } from '../../../src/cli/reconcile.js';
import { loadFacilityList } from '../../../src/registry/facility-list.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const LEFT = [
  'Name,Code,County,Sub County',
  'Abdisamad Disp.,MFL-101,Wajir,Wajir East',
  'Kiambu District Hospital,MFL-102,Kiambu,Kiambu',
  'Mutomo H/C,MFL-103,Kitui,Mutomo',
  '',
].join('\n');
const RIGHT = [
  'id,name,county,sub_county',
  'R1,Abdisamad Dispensary,Wajir,Wajir East',
  'R2,Kiambu District Hospital,Kiambu,Kiambu Town',
  'R3,Mutomo Health Centre,Kitui,Kitui South',
  '',
].join('\n');

/** Runs `reconcile …args` in-process with `open` as the store opener; the error, if any. */
async function reconcile(args: string[], open: () => Promise<Store>): Promise<string | undefined> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await reconcileCommand(open).exitOverride().parseAsync(args, { from: 'user' });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    process.stdout.write = write;
  }
}

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-one-read-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const left = path.join(dir, 'clinics.csv');
    const right = path.join(dir, 'registry.csv');
    const writeLists = () => {
      fs.writeFileSync(left, LEFT);
      fs.writeFileSync(right, RIGHT);
    };
    const args = ['--left', left, '--right', right, '--out', path.join(dir, 'out'), '--store'];
    const storedIds = async () => {
      const store = await openStore({ databaseUrl: db.databaseUrl });
      try {
        return (await store.listCrosswalk('clinics')).map((r) => r.systemId).sort();
      } finally {
        await store.close();
      }
    };

    writeLists();
    const listsGone = async () => {
      fs.rmSync(left);
      fs.rmSync(right);
      return openStore({ databaseUrl: db.databaseUrl });
    };
    t.equal(await reconcile(args, listsGone), undefined, 'the run needs no second read of the lists');
    t.same(await storedIds(), ['MFL-101', 'MFL-102', 'MFL-103'], 'the checked lists were reconciled');

    // another system's crosswalk stored with row numbers (before code columns gave ids): the rule
    // reads the left list otherwise, so it is read again with it
    writeLists();
    const rowStore = await openStore({ databaseUrl: db.databaseUrl });
    try {
      await reconcileIntoStore(
        rowStore,
        'rows',
        loadFacilityList(left, { rowIds: true, system: 'rows' }).records,
        loadFacilityList(right).records,
      );
    } finally {
      await rowStore.close();
    }
    const rowArgs = [...args, '--system', 'rows'];
    t.equal(
      await reconcile(rowArgs, () => openStore({ databaseUrl: db.databaseUrl })),
      undefined,
      'the run with a row-number crosswalk',
    );
    const store = await openStore({ databaseUrl: db.databaseUrl });
    try {
      t.same(
        (await store.listCrosswalk('rows')).map((r) => r.systemId).sort(),
        ['row-1', 'row-2', 'row-3'],
        'read again with the stored rule: no second set of rows under codes',
      );
    } finally {
      await store.close();
    }
  });
