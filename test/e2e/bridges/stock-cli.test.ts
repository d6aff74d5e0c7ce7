/**
 * `cli bridge stock-to-dhis2` over the real connectors and sandboxes: the dry run prints each value
 * that would change (org unit, data element, period: old → new) and writes nothing; the run sends
 * them with a progress bar on stderr; a bad period is refused before anything is read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { storeMadeIn } from '../../support/existing-store.js';
import { openLmisEnv } from '../../support/openlmis-e2e.js';
import { SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import { bridgeCommand } from '../../../src/cli/bridge.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { loadSettings } from '../../../src/config/load.js';
import { dhis2Value, startStockRig, TODAY, type StockRig } from './stock-rig.js';

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

async function cli(rig: StockRig, dir: string, ...args: string[]) {
  return cliOn(rig, dir, '', ...args);
}

async function cliOn(rig: StockRig, dir: string, databaseUrl: string, ...args: string[]) {
  const out = collect();
  const err = collect();
  const settings = () =>
    loadSettings({
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: 'stock-cli-Xy9',
      DATABASE_URL: databaseUrl,
      ...openLmisEnv(rig.lmis.url),
      MSUPPLY_BASE_URL: '',
      OPENMRS_BASE_URL: '',
      DHIS2_BASE_URL: rig.dhis2.url,
      DHIS2_API_TOKEN: SEED_API_TOKEN,
      DHIS2_DATA_SET: 'LkStockMnth',
    } as NodeJS.ProcessEnv);
  process.exitCode = undefined;
  // the sandboxes' day: their months up to January 2027 are over
  const now = () => new Date(`${TODAY}T12:00:00Z`);
  await bridgeCommand({ settings, out: out.stream, err: err.stream, now }).parseAsync(['stock-to-dhis2', ...args], {
    from: 'user',
  });
  const code = process.exitCode;
  process.exitCode = undefined;
  return { code, out: out.text(), err: err.text() };
}

t.test('the dry run prints old → new and writes nothing; the run sends it', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  const dir = mkdtempSync(path.join(tmpdir(), 'stock-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await storeMadeIn(dir);
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 50, date: '2027-01-22', reason: 'Consumed' },
  ]);

  const dry = await cli(rig, dir, '--period', '2027-01', '--dry-run', '--progress');
  t.equal(dry.code, 0, dry.err);
  t.match(dry.err, /stock → DHIS2 202701 \(dry run\): 2 facilities \| would send 2 \|/, 'the bar counts would-send');
  t.notMatch(dry.err, /\| sent /, 'not as sent');
  t.match(dry.out, /^LK-HC-101 {2}EM_ORS_SOH {2}202701: \(none\) → 100$/m, 'a value DHIS2 does not have yet');
  t.match(dry.out, /^LK-HC-101 {2}EM_ORS_CONS {2}202701: \(none\) → 50$/m);
  t.match(dry.out, /^LK-WH-301 {2}EM_AMX250_SOH {2}202701: \(none\) → 500000$/m);
  t.match(dry.out, /202701: 2 org units would change \(\d+ values\)/);
  t.equal(rig.dhis2.state.imports.length, 0, 'nothing sent to DHIS2');

  const run = await cli(rig, dir, '--period', '2027-01', '--progress');
  t.equal(run.code, 0, run.err);
  t.match(run.out, /202701: 2 org units sent, 0 queued/);
  t.match(
    run.err,
    /stock → DHIS2 202701: 2 facilities \| sent 2 \| unchanged 0 \| refused 0 \| queued 0/,
    'the progress bar on stderr',
  );
  t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOH', '202701'), '100');

  const again = await cli(rig, dir, '--period', '2027-01', '--dry-run');
  t.match(again.out, /0 org units would change \(0 values\); 2 unchanged/);
  t.notMatch(again.out, /→/, 'no change listed');

  // LK-HC-101's org unit gone from DHIS2: the summary names the facility left out, as the run's detail does
  const gone = [...rig.dhis2.state.orgUnits.values()].find((o) => o.code === 'LK-HC-101')!;
  rig.dhis2.state.orgUnits.delete(gone.id);
  const left = await cli(rig, dir, '--period', '2027-01', '--dry-run');
  t.match(left.out, /^1 facility has no DHIS2 org unit \(crosswalk or code\): openlmis \S*LK-HC-101\S*$/m);

  const bad = await cli(rig, dir, '--period', '2027-13');
  t.equal(bad.code, 2);
  t.match(bad.err, /2027-13 is not a period: give a month \(2026-11\) or a DHIS2 period/);
  // a period not over yet (this month, a future one): refused before anything is read or written
  const thisMonth = TODAY.slice(0, 7);
  const imports = rig.dhis2.state.imports.length;
  for (const period of [thisMonth, '2099-01']) {
    const early = await cli(rig, dir, '--period', period);
    t.equal(early.code, 2, period);
    t.match(
      early.err,
      new RegExp(
        `^${period.replace('-', '')} has not ended \\(its last day is ${period}-\\d\\d\\): .* the last complete monthly period is \\d{6}$`,
        'm',
      ),
    );
  }
  t.equal(rig.dhis2.state.imports.length, imports, 'nothing sent for them');
  // a DHIS2 id of the right shape naming no such period: refused, not run for January 2028's days
  for (const id of ['202713', '2027W53']) {
    const none = await cli(rig, dir, '--period', id, '--dry-run');
    t.equal(none.code, 2, id);
    t.match(none.err, new RegExp(`${id} is not a period`));
  }
});

t.test('an LMIS that cannot be read is named on stdout and the exit is 1', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  const dir = mkdtempSync(path.join(tmpdir(), 'stock-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await storeMadeIn(dir);
  rig.lmis.faults.add({ method: 'GET', path: '/api/v2/stockCardSummaries', action: { type: 'status', status: 503 } });
  const down = await cli(rig, dir, '--period', '2027-01', '--no-progress');
  t.equal(down.code, 1, down.err);
  t.match(down.out, /^202701 openlmis: stock ledgers not read \(.*503.*\); its facilities wait for the next run$/m);
  t.match(down.out, /202701: 0 org units sent/);
});

for (const engine of engineCases())
  t.test(
    `${engine.name}: a run by hand while the job runs elsewhere sends nothing and exits 2; a dry run still lists`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startStockRig();
      t.teardown(rig.close);
      const dir = mkdtempSync(path.join(tmpdir(), 'stock-cli-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const cli = (...args: string[]) => cliOn(rig, dir, db.databaseUrl, ...args);
      // a server's scheduled stockToDhis2 run, holding the job's lock (PostgreSQL's advisory lock; on
      // SQLite the lock file every process on the file sees)
      const server = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => server.close());
      const held = await server.withAdvisoryLock('schedule:stockToDhis2', async () => {
        const busy = await cli('--period', '2027-01');
        const dry = await cli('--period', '2027-01', '--dry-run');
        return { busy, dry };
      });
      if (!held.ran) throw new Error('the lock was free: nothing held it');
      const { busy, dry } = held.value;
      t.equal(busy.code, 2, busy.out);
      t.match(busy.err, /^stockToDhis2 is running elsewhere .*: nothing sent/m);
      t.equal(rig.dhis2.state.imports.length, 0, 'nothing sent to DHIS2 beside the running job');
      t.equal(dry.code, 0, dry.err);
      t.match(dry.out, /202701: 2 org units would change/, 'a dry run writes nothing: not refused');

      // the job over: the same run sends, and leaves the lock free for the next tick
      const run = await cli('--period', '2027-01');
      t.equal(run.code, 0, run.err);
      t.match(run.out, /202701: 2 org units sent/);
      t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOH', '202701'), '150', 'the seeded stock on hand');
      t.ok((await server.withAdvisoryLock('schedule:stockToDhis2', async () => true)).ran, 'the lock released');
    },
  );
