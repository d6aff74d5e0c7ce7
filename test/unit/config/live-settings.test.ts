/**
 * Live OpenHIM settings (issue 9 item 11), through the real mediator (startMediator), the OpenHIM
 * sandbox (registration, heartbeat, console config PUT) and the OpenLMIS sandbox:
 * - every live configDef, pushed alone from the console, changes what its consumer reads at use
 *   time or how the mediator behaves, and setting it back to the registered default gives the
 *   environment's value back;
 * - defaults nobody changed in the console never override environment settings;
 * - the delivery deadline and the log level (root and the OpenHIM component's child) follow.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { openhimAdmin, DEFAULT_OPENHIM_USER } from '../../../sandbox/openhim/index.js';
import { settingDefs } from '../../../src/config/settings.js';
import type { RunningMediator } from '../../../src/main.js';
import { OPENHIM_SETTINGS } from '../../../src/openhim/config-defs.js';
import { TRUNCATION_MARK } from '../../../src/openhim/envelope.js';
import { startConfiguredMediator } from '../../support/openhim-configured-mediator.js';
import { damagedStock, orderLine } from '../../support/openlmis-e2e.js';
import { waitFor } from '../../support/wait-for.js';

const PASSWORD = 'live-secret-Kp2';
const registration = JSON.parse(readFileSync(new URL('../../../mediator-config.json', import.meta.url), 'utf8')) as {
  urn: string;
  config: Record<string, unknown>;
  configDefs: { param: string; type: string; values?: string[] }[];
};
const DEFAULTS = registration.config;
const NATIONAL = 'http://moh.example.org/products';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** Environment values that differ from the registered defaults, so "who wins" is visible. */
const ENV = {
  OUTBOX_DEADLINE_MS: '5000',
  LOG_LEVEL: 'warn',
  OPENLMIS_TIMEOUT_MS: '15000',
  OUTBOX_MAX_ATTEMPTS: '7',
  SCHEDULE_RECONCILE: '0 3 * * 2',
};

t.test('live OpenHIM settings', async (t) => {
  const { openhim, lmis, mediator, lines } = await startConfiguredMediator(t, {
    password: PASSWORD,
    logLevel: ENV.LOG_LEVEL,
    env: { OUTBOX_BACKOFF_BASE_MS: '50', ...ENV },
  });
  const admin = openhimAdmin(openhim.url, DEFAULT_OPENHIM_USER);
  const base = mediator.settings();
  const get = (url: string, authorization = basic('openhim', PASSWORD)) =>
    fetch(`${mediator.url}${url}`, { headers: { authorization } });
  const ready = async () => {
    lmis.state.expireTokens(); // the ping logs in again with the credentials in force now
    const body = (await (await get('/ready')).json()) as { checks?: { name: string; status: string }[] };
    return body.checks?.find((c) => c.name === 'openlmis')?.status === 'ok';
  };
  const push = async (config: Record<string, unknown>) => {
    const res = await admin.setConfig(registration.urn, config);
    if (res.status !== 200) throw new Error(`console PUT ${res.status}: ${res.text}`);
  };

  await waitFor(
    'registration and two heartbeats with the registered config',
    () => openhim.state.calls.filter((c) => c.url.endsWith('/heartbeat') && c.status === 200).length >= 2,
  );

  await t.test('registered defaults nobody changed do not override the environment', async (t) => {
    const s = mediator.settings();
    t.equal(
      s['outbox.deadlineMs'],
      5000,
      `OUTBOX_DEADLINE_MS wins over the registered deliveryDeadlineMs ${DEFAULTS.deliveryDeadlineMs}`,
    );
    t.equal(mediator.outbox.options.deadlineMs, 5000, 'and is what the outbox uses');
    t.equal(s['log.level'], 'warn', 'LOG_LEVEL wins over the registered logLevel info');
    t.equal(s['openlmis.timeoutMs'], 15000);
    t.equal(s['outbox.maxAttempts'], 7);
    t.equal(s['schedules.reconcile'], '0 3 * * 2');
    t.equal(s['openlmis.password'], 'password', 'an empty console password does not blank the env one');
    t.ok(await ready(), 'the OpenLMIS connector works with the env credentials');
  });

  // param → [a value an operator could set, whether the mediator acts on it now]; each check must
  // be false before the push (so it can fail) and true after.
  let orders = 0;
  // counts posts to the UUID stock API (a zero delay changes nothing else)
  const uuidEvents = lmis.faults.add({ method: 'POST', path: '/api/stockEvents', action: { type: 'delay', ms: 0 } });
  const lmisDown = async () => !(await ready());
  const setting = (key: string) => (_m: RunningMediator, v: unknown) => mediator.settings()[key] === v;
  lmis.faults.add({ method: 'GET', path: '/api/programs', action: { type: 'delay', ms: 400 } });
  const CHECKS: Record<
    string,
    {
      value: unknown;
      with?: Record<string, unknown>;
      acts: (m: RunningMediator, v: unknown) => boolean | Promise<boolean>;
    }
  > = {
    publicBaseUrl: {
      value: 'https://hie.example.org/supply',
      acts: async (_m, v) =>
        (
          (await (await get('/fhir/metadata')).json()) as { implementation: { url: string } }
        ).implementation.url.startsWith(String(v)),
    },
    inboundAuthUsername: {
      value: 'hie-route',
      acts: async (_m, v) => (await get('/fhir/Location?_count=1', basic(String(v), PASSWORD))).status !== 401,
    },
    inboundAuthPassword: {
      value: 'n3w-inbound-pass',
      acts: async (_m, v) => (await get('/fhir/Location?_count=1', basic('openhim', String(v)))).status !== 401,
    },
    // auth.mode=basic here: the bearer secret is read from the settings on each request
    inboundBearerToken: { value: 'n3w-bearer', acts: setting('auth.bearerToken') },
    openlmisBaseUrl: { value: 'http://127.0.0.1:9', acts: lmisDown },
    openlmisUsername: { value: 'nobody', acts: lmisDown },
    openlmisPassword: { value: 'wrong-password', acts: lmisDown },
    openlmisClientId: { value: 'no-such-client', acts: lmisDown },
    openlmisClientSecret: { value: 'wrong-secret', acts: lmisDown },
    // /api/programs answers after 400 ms: a 100 ms call timeout fails the ping
    openlmisTimeoutMs: { value: 100, acts: lmisDown },
    // an emergency order ends SUBMITTED, or AUTHORIZED when the connector also authorizes
    openlmisAuthorizeStep: {
      value: true,
      acts: async () => {
        const before = new Set(lmis.state.requisitionsByStatus().map((r) => r.id));
        const facilityId = lmis.state.seedSummary().facilities['LK-HC-101'];
        const res = await fetch(`${mediator.url}/fhir/SupplyRequest`, {
          method: 'POST',
          headers: { authorization: basic('openhim', PASSWORD), 'content-type': 'application/fhir+json' },
          body: JSON.stringify(
            orderLine({
              order: `LIVE-AUTH-${++orders}`,
              facilityId,
              program: 'EM01',
              productCode: 'EM-ORS',
              qty: 10,
              priority: 'urgent',
            }),
          ),
        });
        if (res.status !== 201) throw new Error(`order answered ${res.status}: ${await res.text()}`);
        await res.text();
        const made = lmis.state.requisitionsByStatus().filter((r) => !before.has(r.id));
        if (made.length !== 1) throw new Error(`${made.length} requisitions made by one order`);
        return made[0].status === 'AUTHORIZED';
      },
    },
    // the sandbox has the public API, so 'auto' posts code-based events; 'uuid' posts to /api/stockEvents
    openlmisStockApi: {
      value: 'uuid',
      acts: async () => {
        const hits = () => lmis.faults.list().find((f) => f.id === uuidEvents.id)!.hits;
        const before = hits();
        const res = await fetch(`${mediator.url}/fhir/R5/InventoryReport`, {
          method: 'POST',
          headers: { authorization: basic('openhim', PASSWORD), 'content-type': 'application/fhir+json' },
          body: JSON.stringify(
            damagedStock(lmis.state.seedSummary().facilities['LK-HC-101'], `LIVE-STOCK-${++orders}`, 1, 'FP-CNDM'),
          ),
        });
        if (res.status !== 201) throw new Error(`adjustment answered ${res.status}: ${await res.text()}`);
        await res.text();
        return hits() === before + 1;
      },
    },
    deliveryDeadlineMs: { value: 1234, acts: (m, v) => m.outbox.options.deadlineMs === v },
    outboxMaxAttempts: { value: 3, acts: (m, v) => m.outbox.options.backoff.maxAttempts === v },
    outboxBaseDelayMs: { value: 777, acts: (m, v) => m.outbox.options.backoff.baseMs === v },
    outboxMaxDelayMs: { value: 99_000, acts: (m, v) => m.outbox.options.backoff.capMs === v },
    // the object every system's breaker reads when it counts a failure or opens (breakers.ts)
    outboxBreakerFailures: { value: 2, acts: (m, v) => m.outbox.options.breaker.consecutiveFailures === v },
    outboxBreakerOpenMs: { value: 45_000, acts: (m, v) => m.outbox.options.breaker.halfOpenAfterMs === v },
    // products read back in the national code system instead of GTIN
    productCodeSystem: {
      value: 'national',
      with: { nationalProductCodeSystem: NATIONAL },
      acts: async () => {
        const facilityId = lmis.state.seedSummary().facilities['LK-HC-101'];
        const res = await get(`/fhir/R5/InventoryReport?location=Location/${facilityId}`);
        const text = await res.text();
        if (
          res.status !== 200 ||
          (!text.includes(`"system":"https://www.gs1.org/gtin"`) && !text.includes(`"system":"${NATIONAL}"`))
        )
          throw new Error(`no stock read back: ${res.status}`);
        return text.includes(`"system":"${NATIONAL}"`);
      },
    },
    // an order coded in the national system is understood only once its URI is set
    nationalProductCodeSystem: {
      value: NATIONAL,
      acts: async () => {
        const facilityId = lmis.state.seedSummary().facilities['LK-HC-101'];
        const order = orderLine({
          order: `LIVE-NPC-${++orders}`,
          facilityId,
          program: 'EM01',
          productCode: 'EM-ORS',
          qty: 10,
          priority: 'urgent',
        });
        order.itemCodeableConcept = { coding: [{ system: NATIONAL, code: 'LK-NPC-0107' }] };
        const res = await fetch(`${mediator.url}/fhir/SupplyRequest`, {
          method: 'POST',
          headers: { authorization: basic('openhim', PASSWORD), 'content-type': 'application/fhir+json' },
          body: JSON.stringify(order),
        });
        await res.text();
        return res.status === 201;
      },
    },
    // through OpenHIM: every upstream body copied into an orchestration is cut to the limit
    // (each config change empties the connector's reference cache, so the read calls OpenLMIS)
    orchestrationBodyLimitBytes: {
      value: 1024,
      acts: async (_m, v) => {
        const res = await fetch(`${mediator.url}/fhir/Location?_count=50`, {
          headers: { authorization: basic('openhim', PASSWORD), 'x-openhim-transactionid': `tx-limit-${Date.now()}` },
        });
        const envelope = (await res.json()) as { orchestrations: { response?: { body?: string } }[] };
        const bodies = envelope.orchestrations.map((o) => o.response?.body ?? '');
        if (!bodies.length) throw new Error('no orchestration recorded: the read did not reach OpenLMIS');
        return (
          bodies.every((b) => Buffer.byteLength(b) <= Number(v)) && bodies.some((b) => b.endsWith(TRUNCATION_MARK))
        );
      },
    },
    logLevel: {
      value: 'debug',
      acts: async () => {
        const from = lines.length;
        await (await get('/health')).text();
        return lines.slice(from).some((l) => l.level === 30 && l.msg === 'request completed');
      },
    },
  };
  // the other systems and the schedules: the settings object in force is what they read
  for (const m of OPENHIM_SETTINGS) {
    // an option takes another of its registered values; the rest a value of their type
    const otherOption = () =>
      registration.configDefs.find((d) => d.param === m.param)?.values?.find((v) => v !== registration.config[m.param]);
    if (/^(dhis2|msupply|openmrs)|^schedule/.test(m.param))
      CHECKS[m.param] ??= {
        value:
          m.type === 'option'
            ? otherOption()
            : m.type === 'number'
              ? 4321
              : m.param.endsWith('BaseUrl')
                ? 'https://other.example.org'
                : m.param.startsWith('schedule')
                  ? '5 5 * * *'
                  : `changed-${m.param}`,
        acts: setting(m.setting),
      };
  }

  const live = OPENHIM_SETTINGS.filter((m) => settingDefs.some((d) => d.key === m.setting && !d.restart));
  t.ok(live.length >= 30, `${live.length} live configDefs`);
  for (const mapping of live) {
    await t.test(`console ${mapping.param} → ${mapping.setting}`, async (t) => {
      const check = CHECKS[mapping.param];
      if (!check) return t.fail(`no proof for the live configDef ${mapping.param}: add one to CHECKS`);
      t.not(check.value, DEFAULTS[mapping.param], 'the value differs from the registered default');
      t.notOk(await check.acts(mediator, check.value), 'before: the mediator does not act on it');
      await push({ ...DEFAULTS, ...check.with, [mapping.param]: check.value });
      await waitFor(`${mapping.param} applied`, () => mediator.settings()[mapping.setting] === check.value);
      t.ok(await check.acts(mediator, check.value), 'after the push: the consumer uses it');
      await push(DEFAULTS);
      await waitFor(`${mapping.param} back`, () => mediator.settings()[mapping.setting] === base[mapping.setting]);
      t.notOk(
        await check.acts(mediator, check.value),
        'set back to the registered default: the env/file value applies again',
      );
    });
  }

  await t.test('the OpenHIM component logger follows a live log level too', async (t) => {
    const openhimInfo = () => lines.filter((l) => l.component === 'openhim' && l.level === 30).length;
    const before = openhimInfo();
    await push({ ...DEFAULTS, outboxMaxDelayMs: 12_345 });
    await waitFor('change applied at warn', () => mediator.outbox.options.backoff.capMs === 12_345);
    t.equal(openhimInfo(), before, "at warn its 'config changed' info line is not written");
    await push({ ...DEFAULTS, logLevel: 'debug' });
    await waitFor('debug applied', () => mediator.settings()['log.level'] === 'debug');
    await push({ ...DEFAULTS, logLevel: 'debug', outboxMaxDelayMs: 23_456 });
    await waitFor('next change', () => mediator.outbox.options.backoff.capMs === 23_456);
    t.ok(openhimInfo() > before, "at debug the long-lived OpenHIM child logger writes its 'config changed' line");
    await push(DEFAULTS);
    await waitFor('back to warn', () => mediator.settings()['log.level'] === 'warn');
  });

  await t.test('a changed deadline changes when a slow write answers 202', async (t) => {
    const facilityId = lmis.state.seedSummary().facilities['LK-HC-101'];
    lmis.faults.add({ method: 'POST', path: '/api/requisitions/initiate', action: { type: 'delay', ms: 2500 } });
    await push({ ...DEFAULTS, deliveryDeadlineMs: 300 });
    await waitFor('deadline applied', () => mediator.outbox.options.deadlineMs === 300);
    // the upstream answers after 2.5 s: a 202 can only come from a deadline shorter than that, so
    // from the pushed 300 ms (the env's 5,000 ms would have waited for the 201)
    const res = await fetch(`${mediator.url}/fhir/SupplyRequest`, {
      method: 'POST',
      headers: { authorization: basic('openhim', PASSWORD), 'content-type': 'application/fhir+json' },
      body: JSON.stringify(
        orderLine({ order: 'LIVE-DEADLINE-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 10 }),
      ),
    });
    await res.text();
    t.equal(res.status, 202, 'queued: the upstream is slower than the pushed deadline (env said 5000 ms)');
    await push(DEFAULTS);
    await waitFor('deadline back', () => mediator.outbox.options.deadlineMs === 5000);
  });
});
