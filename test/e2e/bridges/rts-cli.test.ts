/**
 * `npm run cli -- bridge rts-to-msupply` (issue 15): the real CLI process, configured by its
 * environment and its mappings directory (routing.json `supplyingStores`) as an operator would,
 * runs the bridge once against both sandboxes and prints the counts; run again, it writes nothing;
 * a requisition no rule covers is printed as held, with why, one that is no order as skipped, with
 * why; without a requisition program it says what to set; beside a running rtsToMsupply job it sends
 * nothing and exits 2.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { cliProcess, envOf } from '../../support/cli-process.js';
import { storeMadeIn } from '../../support/existing-store.js';
import { engineCases } from '../../support/outbox-engines.js';
import { openStore } from '../../../src/store/index.js';
import {
  SUPPLIER_OF,
  SUPPLYING_STORES,
  postRequisitions,
  raiseRequisitions,
  responses,
  startRtsSandboxes,
} from './rts-rig.js';

const root = path.resolve(import.meta.dirname, '../../..');

const cli = cliProcess;

/** The CLI's environment on `databaseUrl`: the shipped mappings with the rig's supplying stores in routing.json. */
function rtsEnv(sb: Awaited<ReturnType<typeof startRtsSandboxes>>, dir: string, databaseUrl: string) {
  const mappings = path.join(dir, 'mappings');
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  const routing = JSON.parse(readFileSync(path.join(mappings, 'routing.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ ...routing, supplyingStores: SUPPLYING_STORES }));
  return {
    ...envOf(sb.settings),
    MAPPINGS_DIR: mappings,
    DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'off',
    OPENLMIS_BASE_URL: '',
    OPENMRS_BASE_URL: '',
    OUTBOX_DEADLINE_MS: '10000',
  };
}

t.test('bridge rts-to-msupply: ten requisitions, then nothing new', async (t) => {
  const sb = await startRtsSandboxes();
  const dir = mkdtempSync(path.join(tmpdir(), 'rts-cli-'));
  t.teardown(async () => {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await storeMadeIn(dir);
  // the shipped mappings with the rig's supplying stores in routing.json, as an operator edits it
  const mappings = path.join(dir, 'mappings');
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  const routing = JSON.parse(readFileSync(path.join(mappings, 'routing.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ ...routing, supplyingStores: SUPPLYING_STORES }));
  const env: Record<string, string> = {
    ...envOf(sb.settings),
    MAPPINGS_DIR: mappings,
    DATA_DIR: dir,
    DATABASE_URL: '',
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'off',
    OPENLMIS_BASE_URL: '',
    OPENMRS_BASE_URL: '',
    OUTBOX_DEADLINE_MS: '10000',
  };
  t.equal(env.DHIS2_REQUISITION_PROGRAM, sb.settings['dhis2.requisitionProgram'], 'the variable names of the README');
  await raiseRequisitions(sb.dhis2, 10);
  const first = await cli(['bridge', 'rts-to-msupply', '--json'], env);
  t.equal(first.code, 0, first.err);
  t.match(JSON.parse(first.out), { read: 10, created: 10, rejected: 0 });
  t.equal(responses(sb.ms).length, 10);
  t.ok(
    responses(sb.ms).every((r) => r.storeId === SUPPLIER_OF[sb.ms.state.names.get(r.otherPartyId)!.code]),
    "each in its facility's supplying store",
  );

  const second = await cli(['bridge', 'rts-to-msupply'], env);
  t.equal(second.code, 0, second.err);
  t.match(second.out, /^created: 0$/m);
  t.match(second.out, /^already: 10$/m);
  t.equal(responses(sb.ms).length, 10, 'still ten');

  // a store named by no rule and no default: held, printed with why, exit 1
  writeFileSync(
    path.join(mappings, 'routing.json'),
    JSON.stringify({ ...routing, supplyingStores: { ...SUPPLYING_STORES, default: null } }),
  );
  await postRequisitions(sb.dhis2, [{ event: 'LkHeldReq01', facility: 'LK-HC-104', lines: { EM_ORS: 50 } }]);
  const third = await cli(['bridge', 'rts-to-msupply'], env);
  t.equal(third.code, 1, 'a held requisition fails the run');
  t.match(third.out, /^held: 1$/m);
  t.match(third.out, /^held LkHeldReq01 at LK-HC-104: no supplying-store rule matched .* has no default$/m);
  t.equal(responses(sb.ms).length, 10, 'nothing sent');

  // a requisition of nothing is no order: printed with its facility and why, exit 1 (the held one
  // is covered again, so only the skipped one fails the run)
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ ...routing, supplyingStores: SUPPLYING_STORES }));
  await postRequisitions(sb.dhis2, [{ event: 'LkZeroReq01', facility: 'LK-HC-102', lines: { EM_ORS: 0 } }]);
  const fourth = await cli(['bridge', 'rts-to-msupply'], env);
  t.equal(fourth.code, 1, 'a skipped requisition fails the run');
  t.match(fourth.out, /^skipped LkZeroReq01 at LK-HC-102: no product has a quantity above zero$/m);
  t.match(fourth.out, /^held: 0$/m);
  const json = await cli(['bridge', 'rts-to-msupply', '--json'], env);
  t.match(JSON.parse(json.out), { skippedRequisitions: [{ event: 'LkZeroReq01', facility: 'LK-HC-102' }] });

  const unset = await cli(['bridge', 'rts-to-msupply'], { ...env, DHIS2_REQUISITION_PROGRAM: '' });
  t.equal(unset.code, 2);
  t.match(unset.err, 'dhis2.requisitionProgram');
});

for (const engine of engineCases())
  t.test(
    `${engine.name}: a run by hand while the rtsToMsupply job runs elsewhere sends nothing and exits 2`,
    { skip: engine.skip },
    async (t) => {
      const sb = await startRtsSandboxes();
      const dir = mkdtempSync(path.join(tmpdir(), 'rts-cli-'));
      t.teardown(async () => {
        await sb.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const env = rtsEnv(sb, dir, db.databaseUrl);
      await raiseRequisitions(sb.dhis2, 3);
      // a server's scheduled rtsToMsupply run, holding the job's lock (PostgreSQL's advisory lock; on
      // SQLite the lock file every process on the file sees)
      const server = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => server.close());
      const held = await server.withAdvisoryLock('schedule:rtsToMsupply', () =>
        cli(['bridge', 'rts-to-msupply', '--json'], env),
      );
      if (!held.ran) throw new Error('the lock was free: nothing held it');
      const busy = held.value;
      t.equal(busy.code, 2, busy.out);
      t.match(busy.err, /^rtsToMsupply is running elsewhere .*bridge rts-to-msupply\): nothing sent/m);
      t.equal(responses(sb.ms).length, 0, 'nothing sent to Open mSupply beside the running job');
      t.equal(await server.getCursor('bridge.rtsToMsupply.requisitions'), undefined, 'its mark not moved');

      // the job over: the same run sends, and leaves the lock free for the next tick
      const run = await cli(['bridge', 'rts-to-msupply', '--json'], env);
      t.equal(run.code, 0, run.err);
      t.match(JSON.parse(run.out), { read: 3, created: 3, rejected: 0 });
      t.equal(responses(sb.ms).length, 3);
      t.ok((await server.withAdvisoryLock('schedule:rtsToMsupply', async () => true)).ran, 'the lock released');
    },
  );
