// A console value of another type than its configDef's (a config imported with POST /metadata,
// which core does not type-check): refused naming the setting and its console field, as a value
// the settings refuse is, never left out without a word. Through the real openhim-mediator-utils
// client against the OpenHIM API sandbox.
import t, { type Test as Tap } from 'tap';
import { startOpenHimSandbox, type OpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import { keptLogLines, wiredTo } from '../../support/openhim-lifecycle.js';
import { waitFor } from '../../support/wait-for.js';

const urn = loadMediatorConfig().urn;
const { lines: logLines, logger } = keptLogLines();

/** The lifecycle wired to `sandbox`, each settings layer it applies pushed onto `applied`. */
const wiredInto = (t: Tap, sandbox: { url: string }, applied: Record<string, unknown>[]) =>
  wiredTo(t, sandbox, { applySettings: (layer) => void applied.push(layer), logger });

/** The stored config replaced as POST /metadata would: no type check, the change seen on the next beat. */
function importConfig(sandbox: OpenHimSandbox, change: Record<string, unknown>): void {
  const mediator = sandbox.state.mediators.get(urn)!;
  mediator.config = { ...mediator.config, ...change };
  mediator._configModifiedTS = new Date();
}

const DEADLINE_FIELD =
  /outbox\.deadlineMs must be a number, not a string \[console: "Write delivery deadline \(ms\)" \(deliveryDeadlineMs\)\]/;

t.test('running: a save holding a wrongly typed value is refused whole, naming the field', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const applied: Record<string, unknown>[] = [];
  const handle = wiredInto(t, sandbox, applied);
  await waitFor('the registered config applied', () => applied.length === 1);
  importConfig(sandbox, { deliveryDeadlineMs: '5000', logLevel: 'debug' });
  await waitFor('the save refused', () => /settings refused/.test(handle.problem() ?? ''));
  t.match(handle.problem(), DEADLINE_FIELD);
  t.match(handle.problem(), /; the previous settings stay in force$/);
  t.equal(applied.length, 1, 'nothing of that save applied');
  const line = logLines.map((l) => JSON.parse(l)).find((l) => /applying OpenHIM config failed/.test(l.msg));
  t.match(line?.err?.message, DEADLINE_FIELD, 'the log says it in the same words');
});

t.test('at start: the rest of the save applies, the wrongly typed field is named as left out', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const first: Record<string, unknown>[] = [];
  const running = wiredInto(t, sandbox, first);
  await waitFor('registered', () => first.length === 1);
  await running.stop();
  importConfig(sandbox, { deliveryDeadlineMs: '5000', logLevel: 'debug' });

  const applied: Record<string, unknown>[] = [];
  const handle = wiredInto(t, sandbox, applied);
  await waitFor('the save applied in part', () => /settings refused/.test(handle.problem() ?? ''));
  t.equal(applied.length, 1);
  t.equal(applied[0]['log.level'], 'debug', 'the rest is in force');
  t.notOk('outbox.deadlineMs' in applied[0], 'the string is not');
  t.match(handle.problem(), DEADLINE_FIELD);
  t.match(handle.problem(), /the rest of that save is in force/);

  importConfig(sandbox, { deliveryDeadlineMs: 5000 });
  await waitFor('the corrected save applied', () => applied.length === 2);
  t.equal(applied[1]['outbox.deadlineMs'], 5000);
  await waitFor('the refusal cleared', () => handle.problem() === undefined);
});
