// Registration, heartbeat and live config through the real openhim-mediator-utils client against
// the OpenHIM API sandbox.
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test as Tap } from 'tap';
import { DEFAULT_OPENHIM_USER, openhimAdmin, startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { openhimConfigToSettings } from '../../../src/openhim/config-defs.js';
import { startOpenHimFromSettings } from '../../../src/openhim/lifecycle.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import { startOpenHim, type OpenHimHandle, type StartOpenHimOptions } from '../../../src/openhim/registration.js';
import { freePort } from '../../support/net.js';
import { keptLogLines, wiredTo } from '../../support/openhim-lifecycle.js';
import { waitFor } from '../../support/wait-for.js';

const registration = loadMediatorConfig();
const urn = registration.urn;
const credentials = { username: DEFAULT_OPENHIM_USER.email, password: DEFAULT_OPENHIM_USER.password };
const fastBackoff = { initialMs: 20, maxMs: 100 };

/** Every log line, as pino writes it, so tests can grep for secrets. */
const { lines: logLines, logger } = keptLogLines();

function replica(test: Tap, apiURL: string, extra: Partial<StartOpenHimOptions> = {}) {
  const seen: Record<string, unknown>[] = [];
  const handle = startOpenHim({
    apiURL,
    ...credentials,
    heartbeatMs: 100,
    backoff: fastBackoff,
    logger,
    onConfig: (c) => void seen.push(c),
    ...extra,
  });
  test.teardown(() => handle.stop());
  return { handle, seen };
}

const heartbeatsOf = (calls: { url: string; body?: unknown }[]) => calls.filter((c) => c.url.endsWith('/heartbeat'));

t.test('registers, heartbeats with config:true, and two replicas both apply a live config change', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const a = replica(t, sandbox.url);
  const b = replica(t, sandbox.url);
  t.equal(await a.handle.registered, true);
  t.equal(await b.handle.registered, true);
  t.equal(sandbox.state.mediators.get(urn)?.version, registration.version);

  await waitFor('initial config on both replicas', () => a.seen.length === 1 && b.seen.length === 1);
  t.same(a.seen[0], registration.config, 'the default config comes back on the first beat');

  const admin = openhimAdmin(sandbox.url, DEFAULT_OPENHIM_USER);
  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  const res = await admin.setConfig(urn, {
    ...shown,
    openlmisBaseUrl: 'https://lmis.example.org',
    openlmisPassword: 'n3w-lmis-pass',
    openlmisTimeoutMs: 9000,
  });
  t.equal(res.status, 200, res.text);

  await waitFor('the change on both replicas', () => a.seen.length === 2 && b.seen.length === 2);
  for (const { seen, handle } of [a, b]) {
    const settings = openhimConfigToSettings(seen[1]);
    t.equal(settings['openlmis.baseUrl'], 'https://lmis.example.org');
    t.equal(settings['openlmis.password'], 'n3w-lmis-pass', 'the heartbeat carries the real password, not the mask');
    t.equal(settings['openlmis.timeoutMs'], 9000);
    t.same(handle.currentConfig(), seen[1]);
  }

  const beatsBefore = a.handle.stats().heartbeats;
  await waitFor('more beats', () => a.handle.stats().heartbeats >= beatsBefore + 3);
  t.equal(a.seen.length, 2, 'an unchanged config is not applied again');

  const beats = heartbeatsOf(sandbox.state.calls);
  t.ok(beats.length > 4);
  t.ok(
    beats.every(
      (c) =>
        (c.body as { config?: boolean; uptime?: number }).config === true &&
        typeof (c.body as { uptime?: number }).uptime === 'number',
    ),
    'every heartbeat asks for config',
  );
});

t.test('OpenHIM down at start: registration retries with backoff and succeeds once it is up', async (t) => {
  const port = await freePort();
  const r = replica(t, `http://127.0.0.1:${port}`);
  await waitFor('a few failed attempts', () => r.handle.stats().registrationAttempts >= 3);
  t.equal(r.handle.status, 'registering');
  t.equal(r.seen.length, 0);

  const sandbox = await startOpenHimSandbox({ port });
  t.teardown(() => sandbox.close());
  t.equal(await r.handle.registered, true);
  await waitFor('config after late registration', () => r.seen.length === 1);
  t.equal(r.handle.status, 'registered');
});

t.test('OpenHIM unavailable later: the last good config stays; a lost registration is renewed', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const r = replica(t, sandbox.url);
  await waitFor('initial config', () => r.seen.length === 1);

  sandbox.state.unavailable = true;
  const failures = r.handle.stats().heartbeatFailures;
  await waitFor('failing heartbeats', () => r.handle.stats().heartbeatFailures >= failures + 3);
  t.same(r.handle.currentConfig(), registration.config, 'last good config kept');
  t.equal(r.seen.length, 1, 'no config applied while down');

  sandbox.state.unavailable = false;
  const beats = r.handle.stats().heartbeats;
  await waitFor('recovery', () => r.handle.stats().heartbeats > beats);
  t.equal(r.seen.length, 1, 'same config after recovery: nothing re-applied');

  // core's database reset: the urn is gone, heartbeats get 404, the mediator registers again
  sandbox.state.mediators.delete(urn);
  const attempts = r.handle.stats().registrationAttempts;
  await waitFor('re-registration', () => sandbox.state.mediators.has(urn));
  t.ok(r.handle.stats().registrationAttempts > attempts);
});

t.test('stop() ends registration retries and heartbeats', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const r = replica(t, sandbox.url);
  await waitFor('a beat', () => r.handle.stats().heartbeats >= 1);
  await r.handle.stop();
  t.equal(r.handle.status, 'stopped');
  const calls = sandbox.state.calls.length;
  await sleep(350);
  t.equal(sandbox.state.calls.length, calls, 'no call after stop');

  const port = await freePort();
  const never: OpenHimHandle = startOpenHim({
    apiURL: `http://127.0.0.1:${port}`,
    ...credentials,
    backoff: fastBackoff,
    logger,
  });
  await waitFor('an attempt', () => never.stats().registrationAttempts >= 1);
  await never.stop();
  t.equal(await never.registered, false, 'registered resolves false when stopped first');
});

t.test('wrong credentials are retried, never fatal, and no secret reaches the logs', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const wrongPassword = 'Wr0ng-openhim-Pa55';
  const r = replica(t, sandbox.url, { password: wrongPassword });
  await waitFor('rejected attempts', () => sandbox.state.calls.filter((c) => c.status === 401).length >= 2);
  t.equal(r.handle.status, 'registering');
  await r.handle.stop();

  const secrets = [
    DEFAULT_OPENHIM_USER.password,
    wrongPassword,
    Buffer.from(`${DEFAULT_OPENHIM_USER.email}:${DEFAULT_OPENHIM_USER.password}`).toString('base64'),
    Buffer.from(`${DEFAULT_OPENHIM_USER.email}:${wrongPassword}`).toString('base64'),
    'n3w-lmis-pass',
  ];
  const all = logLines.join('');
  t.ok(logLines.length > 5, 'logs were captured');
  t.match(all, /status code 401/, 'the failure is logged, by status');
  for (const secret of secrets) t.notMatch(all, secret, 'secret absent from logs');
});

t.test('core back but refusing the login after an outage: the log says so, once', async (t) => {
  const user = { ...DEFAULT_OPENHIM_USER };
  const sandbox = await startOpenHimSandbox({ users: [user] });
  t.teardown(() => sandbox.close());
  const r = replica(t, sandbox.url);
  t.equal(await r.handle.registered, true);
  const from = logLines.length;
  const warnings = () =>
    logLines
      .slice(from)
      .map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string })
      .filter((l) => l.level === 40 && l.msg.startsWith('OpenHIM heartbeat failed'));

  sandbox.state.unavailable = true;
  await waitFor('the outage warned', () => warnings().length === 1);
  // OpenHIM comes back with the API user's password changed meanwhile
  user.password = 'rotated-during-the-outage';
  sandbox.state.unavailable = false;
  await waitFor('the refused login warned', () => warnings().length === 2);
  const beats = heartbeatsOf(sandbox.state.calls).length;
  await waitFor('more refused beats', () => heartbeatsOf(sandbox.state.calls).length >= beats + 3);
  await r.handle.stop();

  const [outage, refused] = warnings();
  t.match(outage.reason, /^OpenHIM answered 503/);
  t.match(refused.reason, /^OpenHIM refused the API login \(401\): openhim\.password \(OPENHIM_PASSWORD\)/);
  t.equal(warnings().length, 2, 'one warning per reason, not one per beat');
});

t.test("a registration core refuses: /ready and the log give core's reason, not only the status", async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const from = logLines.length;
  const r = replica(t, sandbox.url, { mediatorConfig: { ...registration, version: 'release-7' } });
  await waitFor('a refused registration', () => sandbox.state.calls.some((c) => c.status === 400));
  await waitFor('the refusal known', () => /answered 400/.test(r.handle.problem() ?? ''));
  const problem = r.handle.problem();
  await r.handle.stop();
  t.match(
    problem,
    /^not registered with OpenHIM yet since \S+: OpenHIM answered 400: Could not add Mediator via the API: ValidationError: Version is required\. Must be in SemVer form x\.y\.z;/,
  );
  const warning = logLines
    .slice(from)
    .map((l) => JSON.parse(l) as { msg: string; reason?: string })
    .find((l) => l.msg.startsWith('OpenHIM registration failed') && /answered 400/.test(l.reason ?? ''));
  t.match(warning?.reason, /SemVer form/, 'the log line says it too');
});

t.test('startOpenHimFromSettings: off without openhim.apiUrl; otherwise applies the OpenHIM layer', async (t) => {
  t.equal(startOpenHimFromSettings({}, { applySettings: () => {} }), undefined);

  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const layers: Record<string, unknown>[] = [];
  wiredTo(t, sandbox, {
    applySettings: (layer) => void layers.push(layer),
    knownSetting: (k) => !k.startsWith('schedules.'),
    logger,
  });
  await waitFor('first layer', () => layers.length === 1);
  // issue 9: a value equal to the registered default is one nobody changed; env/file keep it
  t.notOk('outbox.deadlineMs' in layers[0], 'registered defaults nobody changed are left out');
  t.notOk(
    Object.keys(layers[0]).some((k) => k.startsWith('schedules.')),
    'unknown keys filtered',
  );
  t.notOk('openlmis.password' in layers[0], 'empty credentials do not override env');
});

t.test('a console save refused names the console field the operator saved, not only our setting key', async (t) => {
  const { loadSettings, mergeSettings, validateSettings } = await import('../../../src/config/load.js');
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const base = loadSettings({ AUTH_PASSWORD: 'inbound-pw-Zq4', OPENHIM_PASSWORD: credentials.password });
  let applied = 0;
  // as main.ts applies a layer: merged over env/file, then checked whole
  const handle = wiredTo(t, sandbox, {
    applySettings: (layer) => {
      validateSettings(mergeSettings(base, layer, 'OpenHIM config'));
      applied++;
    },
    logger,
  });
  await waitFor('the registered config applied', () => applied === 1);

  const admin = openhimAdmin(sandbox.url, DEFAULT_OPENHIM_USER);
  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  const res = await admin.setConfig(urn, { ...shown, deliveryDeadlineMs: -5, logLevel: 'debug' });
  t.equal(res.status, 200, res.text);
  await waitFor('the save refused', () => /settings refused/.test(handle.problem() ?? ''));
  t.match(
    handle.problem(),
    /outbox\.deadlineMs must be at least 0, got '-5' \[console: "Write delivery deadline \(ms\)" \(deliveryDeadlineMs\)\]; the previous settings stay in force$/,
  );
  t.notMatch(handle.problem(), /logLevel/, 'a field changed but not at fault is not named');
  t.equal(applied, 1);
});

t.test('a console save refused at start: /ready says no console setting is in force, not "the previous"', async (t) => {
  const { loadSettings, mergeSettings, validateSettings } = await import('../../../src/config/load.js');
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const base = loadSettings({ AUTH_PASSWORD: 'inbound-pw-Zq4', OPENHIM_PASSWORD: credentials.password });
  const start = async () => {
    const applied: Record<string, unknown>[] = [];
    const handle = wiredTo(t, sandbox, {
      applySettings: (layer) => {
        validateSettings(mergeSettings(base, layer, 'OpenHIM config'));
        applied.push(layer);
      },
      logger,
    });
    return { handle, applied };
  };
  const first = await start();
  await waitFor('the registered config applied', () => first.applied.length === 1);
  const admin = openhimAdmin(sandbox.url, DEFAULT_OPENHIM_USER);
  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  // one save: the inbound password the OpenHIM route sends, and a bad deadline
  await admin.setConfig(urn, { ...shown, inboundAuthPassword: 'route-pw-Console-9', deliveryDeadlineMs: -5 });
  await waitFor('the save refused', () => /settings refused/.test(first.handle.problem() ?? ''));
  t.match(first.handle.problem(), /; the previous settings stay in force$/, 'running: what was applied stays');
  await first.handle.stop();

  // the mediator restarts: nothing from the console is in force yet, so the save is applied
  // without the field at fault (the route's password among the rest), and /ready names that field
  const second = await start();
  await waitFor('the save applied in part at start', () => /settings refused/.test(second.handle.problem() ?? ''));
  t.equal(second.applied.length, 1, 'applied once, without the field at fault');
  t.equal(second.applied[0]['auth.password'], 'route-pw-Console-9', "the route's password is in force");
  t.notOk('outbox.deadlineMs' in second.applied[0], 'the bad deadline is not');
  t.match(
    second.handle.problem(),
    /got '-5' \[console: "Write delivery deadline \(ms\)" \(deliveryDeadlineMs\)\]; the rest of that save is in force; the fields named keep the environment's and config file's values$/,
  );
  t.notMatch(second.handle.problem(), /route-pw-Console-9/, 'no secret in the reason');

  // the field corrected: applied whole, nothing refused any more
  await admin.setConfig(urn, { ...shown, inboundAuthPassword: 'route-pw-Console-9', deliveryDeadlineMs: 5000 });
  await waitFor('the corrected save applied', () => second.applied.length === 2);
  t.equal(second.applied[1]['outbox.deadlineMs'], 5000);
  await waitFor('the refusal cleared', () => second.handle.problem() === undefined);
});

t.test('a console save refused at start whose refusal names none of its settings is not applied', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const start = (applySettings: (layer: Record<string, unknown>) => void) =>
    wiredTo(t, sandbox, { applySettings, logger });
  const first = start(() => undefined);
  await first.registered;
  const admin = openhimAdmin(sandbox.url, DEFAULT_OPENHIM_USER);
  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  await admin.setConfig(urn, { ...shown, deliveryDeadlineMs: 4000, logLevel: 'debug' });
  await first.stop();

  // at start the save is refused for a reason that names none of its settings (a check of the
  // environment's): nothing can be left out, so none of it is applied, as before
  const layers: Record<string, unknown>[] = [];
  const second = start((layer) => {
    layers.push(layer);
    throw new Error('store.dataDir must be writable');
  });
  await waitFor('the save refused at start', () => /settings refused/.test(second.problem() ?? ''));
  t.equal(layers.length, 1, 'tried once, whole');
  t.match(
    second.problem(),
    /store\.dataDir must be writable; no console setting is in force since this start, only the environment and the config file$/,
  );
});

t.test('a heartbeat answer that is not a config object is a failed beat, not a config', async (t) => {
  const Fastify = (await import('fastify')).default;
  const fake = Fastify();
  fake.post('/mediators', async (_req, reply) => reply.code(201).send());
  fake.post('/mediators/:urn/heartbeat', async (_req, reply) =>
    reply.type('text/html').send('<html>proxy error page</html>'),
  );
  const url = await fake.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => fake.close());
  const r = replica(t, url);
  await waitFor('failed beats', () => r.handle.stats().heartbeatFailures >= 2);
  t.equal(r.seen.length, 0);
  t.equal(r.handle.currentConfig(), undefined);
});
