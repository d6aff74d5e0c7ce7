/**
 * The bridges run by hand (`cli bridge stock-to-dhis2`, `cli bridge rts-to-msupply`, each a child
 * process configured by its environment as an operator runs it) against sandboxes repeating the
 * mediator's credentials back (their `echoSecrets` fault: the Basic header and its decoded pair,
 * the bearer token, the mSupply login's variables) on the reads and the writes of each run, as a
 * 400 refusal, a 5xx and a 200 of errors[]. What the command prints names each refusal and each
 * run stopped with the upstream's words: no form of a password or token may be on its stdout
 * or stderr, text or `--json`, and the masked echo must be there (the test cannot pass for want
 * of an echo).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Dhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import type { MsupplySandbox } from '../../../sandbox/msupply/index.js';
import { MASK } from '../../../src/platform/redaction.js';
import { cliProcess, envOf, type CliRun } from '../../support/cli-process.js';
import { storeMadeIn } from '../../support/existing-store.js';
import { openLmisEnv } from '../../support/openlmis-e2e.js';
import { Emitted, wireForms } from '../../support/secret-forms.js';
import { raiseRequisitions, startRtsSandboxes, SUPPLYING_STORES } from '../bridges/rts-rig.js';
import { startStockRig } from '../bridges/stock-rig.js';

const root = path.resolve(import.meta.dirname, '../../..');
const USER = 'mediator';
// its Basic pair's base64 holds `+` and `/`, which a URL percent-encodes
const DHIS2_PASSWORD = 'cnryBBdhis2 pw"&+/%?>????';
const DHIS2_TOKEN = 'd2pat_cnryBTdhis2Token0000000000B1234567890';
const MSUPPLY_PASSWORD = 'cnryBMmsupply pw"&+/%??>???';

/** `cli …` as its own process, its stdout and stderr kept under `label` in `emitted`. */
async function cli(emitted: Emitted, label: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  const run = await cliProcess(args, env);
  emitted.add(`stdout ${label}`, run.out);
  emitted.add(`stderr ${label}`, run.err);
  return run;
}

/** The operator's environment beside a store made in a fresh directory. */
async function operatorDir(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ei-bridge-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await storeMadeIn(dir);
  return dir;
}

const dhis2Echo = (sb: Dhis2Sandbox, method: string, p: string, status: number, times = 100) =>
  sb.faults.add({ method, path: p, times, action: { type: 'echoSecrets', status } });
const msupplyEcho = (ms: MsupplySandbox, operation: string, status: number, times = 100) =>
  ms.faults.add({ operation, times, action: { type: 'echoSecrets', status } });

/** No form of the secrets in any output, and the masked echo in those labelled `masked`. */
function assertNoLeak(t: Test, emitted: Emitted, forms: string[], masked: string[]) {
  const leaks = emitted.leaks(forms);
  t.same(
    leaks.map((l) => `${l.where}: ${l.form}`),
    [],
    'no form of the credentials on stdout or stderr',
  );
  for (const l of leaks.slice(0, 3)) t.comment(l.where, emitted.sample(l, 1500));
  for (const where of masked)
    t.ok(
      emitted.items.some((i) => i.where === where && i.text.includes(MASK)),
      `the echo reached ${where}, masked`,
    );
}

t.test('bridge stock-to-dhis2: DHIS2 echoing its Basic credentials on the values sent', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  const dir = await operatorDir(t);
  rig.dhis2.state.users.find((u) => u.username === USER)!.password = DHIS2_PASSWORD;
  // a month over by the host's clock too: the CLI refuses a period not ended
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 50, date: '2026-11-20', reason: 'Consumed' },
  ]);
  const env = {
    DATA_DIR: dir,
    DATABASE_URL: '',
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'off',
    ...openLmisEnv(rig.lmis.url),
    MSUPPLY_BASE_URL: '',
    OPENMRS_BASE_URL: '',
    DHIS2_BASE_URL: rig.dhis2.url,
    DHIS2_USERNAME: USER,
    DHIS2_PASSWORD: DHIS2_PASSWORD,
    DHIS2_DATA_SET: 'LkStockMnth',
    OUTBOX_DEADLINE_MS: '3000',
  };
  const emitted = new Emitted();
  const run = (label: string, ...more: string[]) =>
    cli(emitted, label, ['bridge', 'stock-to-dhis2', '--period', '2026-11', '--no-progress', ...more], env);

  // refused for good (400): each facility's refusal printed with DHIS2's words
  dhis2Echo(rig.dhis2, 'POST', '/api/dataValueSets', 400);
  const refused = await run('refused');
  t.equal(refused.code, 1, refused.err);
  t.match(refused.out, /^LK-HC-101: rejected: .*answered 400 refused Authorization: Basic \*+/m);
  const refusedJson = await run('refused json', '--json');
  t.equal(refusedJson.code, 1, refusedJson.err);
  const outcomes = JSON.parse(refusedJson.out).outcomes as { status: string; error?: string }[];
  t.ok(
    outcomes.some((o) => o.status === 'rejected' && /Basic \*+/.test(o.error ?? '')),
    'the refusal in --json',
  );

  // failing transiently (5xx), and a 200 of no import summary: queued or refused
  rig.dhis2.faults.clear();
  dhis2Echo(rig.dhis2, 'POST', '/api/dataValueSets', 500);
  const queued = await run('queued');
  t.match(queued.out, /^LK-HC-101: queued: /m, queued.err);
  rig.dhis2.faults.clear();
  dhis2Echo(rig.dhis2, 'POST', '/api/dataValueSets', 200);
  await run('odd 200', '--json');

  // the reads before anything is sent: the data set's period type, the org units
  rig.dhis2.faults.clear();
  dhis2Echo(rig.dhis2, 'GET', '/api/dataSets', 400);
  await cli(emitted, 'data set refused', ['bridge', 'stock-to-dhis2', '--no-progress'], env);
  rig.dhis2.faults.clear();
  dhis2Echo(rig.dhis2, 'GET', '/api/organisationUnits', 500);
  await run('org units failing');

  assertNoLeak(t, emitted, wireForms(DHIS2_PASSWORD, USER), ['stdout refused', 'stdout refused json', 'stdout queued']);
});

t.test('bridge rts-to-msupply: DHIS2 and Open mSupply echoing their credentials', async (t) => {
  const sb = await startRtsSandboxes();
  t.teardown(sb.close);
  const dir = await operatorDir(t);
  sb.dhis2.state.tokens.set(DHIS2_TOKEN, USER);
  sb.ms.state.users.get(USER)!.password = MSUPPLY_PASSWORD;
  const mappings = path.join(dir, 'mappings');
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  const routing = JSON.parse(readFileSync(path.join(mappings, 'routing.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ ...routing, supplyingStores: SUPPLYING_STORES }));
  const env: Record<string, string> = {
    ...envOf(sb.settings),
    DHIS2_API_TOKEN: DHIS2_TOKEN,
    MSUPPLY_PASSWORD,
    MAPPINGS_DIR: mappings,
    DATA_DIR: dir,
    DATABASE_URL: '',
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'off',
    OPENLMIS_BASE_URL: '',
    OPENMRS_BASE_URL: '',
    OUTBOX_DEADLINE_MS: '3000',
  };
  const emitted = new Emitted();
  const run = (label: string, ...more: string[]) => cli(emitted, label, ['bridge', 'rts-to-msupply', ...more], env);
  await raiseRequisitions(sb.dhis2, 2);

  // the supplying stores' shipments not read (a 5xx, errors[] in a 200, a 400): the run stops, why on stderr
  for (const status of [500, 200, 400]) {
    sb.ms.faults.clear();
    const shipments = msupplyEcho(sb.ms, 'invoices', status);
    const r = await run(`shipments ${status}`);
    t.ok(sb.ms.faults.list().find((f) => f.id === shipments.id)!.hits >= 1, `the shipments read echoed (${status})`);
    t.equal(r.code, 1, `exit 1 (${status})`);
    t.match(r.err, /answered .*Bearer \*+/);
    await run(`shipments ${status} json`, '--json');
  }
  // Open mSupply failing every call, its login first: the run stops, why on stderr
  for (const status of [500, 200, 401]) {
    sb.ms.faults.clear();
    msupplyEcho(sb.ms, '*', status);
    const r = await run(`msupply ${status}`);
    t.equal(r.code, 1, `exit 1 (${status})`);
  }
  sb.ms.faults.clear();

  // DHIS2 refusing the requisitions' read, and its tracker writes
  dhis2Echo(sb.dhis2, 'GET', '/api/tracker/events', 400);
  const read = await run('dhis2 read');
  t.equal(read.code, 1, 'the requisitions not read: exit 1');
  sb.dhis2.faults.clear();
  await raiseRequisitions(sb.dhis2, 1, 'w');
  dhis2Echo(sb.dhis2, 'POST', '/api/tracker', 400);
  await run('dhis2 write');
  await run('dhis2 write json', '--json');

  assertNoLeak(
    t,
    emitted,
    [...wireForms(DHIS2_TOKEN), ...wireForms(MSUPPLY_PASSWORD, USER)],
    ['stderr shipments 500', 'stderr shipments 400 json', 'stderr msupply 500', 'stderr dhis2 read'],
  );
});
