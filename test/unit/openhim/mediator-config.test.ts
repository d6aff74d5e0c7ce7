// mediator-config.json: what OpenHIM registers, checked against core's rules and our settings table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { validateMediatorDocument, validateRegistration } from '../../../sandbox/openhim/validation.js';
import { OPENHIM_SETTINGS, openhimConfigToSettings } from '../../../src/openhim/config-defs.js';
import { loadMediatorConfig, withRouteTarget } from '../../../src/openhim/mediator-config.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const config = loadMediatorConfig();

t.test('version equals package.json (core ignores a re-registration that is not semver-greater)', async (t) => {
  t.equal(config.version, pkg.version);
  t.equal(config.urn, 'urn:mediator:fhir-supply-mediator');
  t.ok(config.name && config.description);
  t.ok(config.endpoints.length >= 1);
});

t.test('passes core validation, default config included', async (t) => {
  t.doesNotThrow(() => validateRegistration(structuredClone(config)));
  t.doesNotThrow(() => validateMediatorDocument(structuredClone(config) as unknown as Record<string, unknown>));
});

t.test('configDefs and the settings table describe the same params with the same types', async (t) => {
  const defs = new Map((config.configDefs ?? []).map((d) => [d.param, d]));
  t.equal(defs.size, config.configDefs?.length, 'params are unique');
  t.same([...defs.keys()].sort(), OPENHIM_SETTINGS.map((m) => m.param).sort());
  for (const m of OPENHIM_SETTINGS) {
    t.equal(defs.get(m.param)?.type, m.type, `${m.param} type`);
    t.ok(defs.get(m.param)?.displayName && defs.get(m.param)?.description, `${m.param} is described for the console`);
    t.notMatch(m.param, /\./, `${m.param}: no dots (MongoDB keys)`);
  }
  for (const d of config.configDefs ?? []) {
    if (/password|secret/i.test(d.param)) t.equal(d.type, 'password', `${d.param} is masked in the console`);
  }
  t.same(Object.keys(config.config ?? {}).sort(), [...defs.keys()].sort(), 'every param has a default');
});

t.test('default config sets no credential and no upstream URL (env/file keep applying)', async (t) => {
  const settings = openhimConfigToSettings(config.config);
  for (const key of Object.keys(settings)) t.notMatch(key, /password|secret|baseUrl|username/i, key);
  t.equal(settings['openlmis.timeoutMs'], 20000);
  t.equal(settings['outbox.deadlineMs'], 8000);
  t.equal(settings['mapping.productCodeSystem'], 'gtin');
});

t.test('channels: anchored patterns that split /fhir (R4) and /fhir/R5 without overlap', async (t) => {
  const channels = config.defaultChannelConfig ?? [];
  const r4 = new RegExp(channels.find((c) => /R4/.test(c.name))!.urlPattern);
  const r5 = new RegExp(channels.find((c) => /R5/.test(c.name))!.urlPattern);
  for (const c of channels) {
    t.match(c.urlPattern, /^\^.*\$$/, `${c.name} anchored`);
    t.ok(c.timeout && c.timeout >= 30000 && c.timeout <= 3_600_000, `${c.name} timeout`);
    t.equal(c.autoRetryEnabled, true);
    t.ok((c.autoRetryMaxAttempts ?? 0) > 0, 'bounded retries');
    t.equal(c.routes?.filter((r) => r.primary).length, 1, 'one primary route');
  }
  for (const p of [
    '/fhir',
    '/fhir/',
    '/fhir/metadata',
    '/fhir/Location/abc',
    '/fhir/SupplyRequest/_search',
    '/fhir/R5x',
  ]) {
    t.ok(r4.test(p), `R4 serves ${p}`);
    t.notOk(r5.test(p), `R5 does not serve ${p}`);
  }
  for (const p of ['/fhir/R5', '/fhir/R5/', '/fhir/R5/InventoryReport', '/fhir/R5/metadata']) {
    t.ok(r5.test(p), `R5 serves ${p}`);
    t.notOk(r4.test(p), `R4 does not serve ${p}`);
  }
  for (const p of ['/fhirx', '/api/fhir', '/x/fhir/Location', '/health']) {
    t.notOk(r4.test(p) || r5.test(p), `${p} matches no channel`);
  }
});

t.test('withRouteTarget re-points endpoint and routes without touching the original', async (t) => {
  const moved = withRouteTarget(config, { host: '10.0.0.5', port: 8443, secured: true });
  t.equal(moved.endpoints[0].host, '10.0.0.5');
  for (const c of moved.defaultChannelConfig ?? [])
    t.same(
      c.routes?.map((r) => [r.host, r.port, r.secured]),
      [['10.0.0.5', 8443, true]],
    );
  t.equal(config.endpoints[0].host, 'fhir-supply-mediator');
});
