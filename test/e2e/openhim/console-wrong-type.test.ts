// A console value of another type than its configDef's (a config imported with POST /metadata,
// which core does not type-check): refused naming the setting and its console field, as a value
// the settings refuse is, never left out without a word. Through the real openhim-mediator-utils
// client against the OpenHIM API sandbox.
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import t, { type Test as Tap } from 'tap';
import { DEFAULT_OPENHIM_USER, startOpenHimSandbox, type OpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import type { OpenHimHandle } from '../../../src/openhim/registration.js';

const urn = loadMediatorConfig().urn;
const logLines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

/** startOpenHimFromSettings against `sandbox`, beating every 50 ms, stopped at the test's end. */
async function wiredTo(t: Tap, sandbox: { url: string }, applied: Record<string, unknown>[]): Promise<OpenHimHandle> {
  const { startOpenHimFromSettings } = await import('../../../src/openhim/lifecycle.js');
  const handle = startOpenHimFromSettings(
    {
      'openhim.apiUrl': sandbox.url,
      'openhim.username': DEFAULT_OPENHIM_USER.email,
      'openhim.password': DEFAULT_OPENHIM_USER.password,
      'openhim.heartbeatMs': 50,
    },
    { applySettings: (layer) => void applied.push(layer), logger },
  )!;
  t.teardown(() => handle.stop());
  return handle;
}

async function waitFor(what: string, condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

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
  const handle = await wiredTo(t, sandbox, applied);
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
  const running = await wiredTo(t, sandbox, first);
  await waitFor('registered', () => first.length === 1);
  await running.stop();
  importConfig(sandbox, { deliveryDeadlineMs: '5000', logLevel: 'debug' });

  const applied: Record<string, unknown>[] = [];
  const handle = await wiredTo(t, sandbox, applied);
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
