/**
 * URL settings other than the upstreams' base URLs are checked too (README "Configuration": a bad
 * value stops start-up with the setting and the reason; from the console it is refused and the
 * previous settings stay). A publicBaseUrl typed without its scheme (`hie.example.org:5000`) was
 * applied live and every link, fullUrl and Location header became `hie.example.org:5000/fhir/…`,
 * which no client can follow. Through the real mediator, the OpenHIM sandbox and the OpenLMIS
 * sandbox; start-up through loadSettings + validateSettings, as `serve` runs them.
 */
import t from 'tap';
import { DEFAULT_OPENHIM_USER, openhimAdmin } from '../../../sandbox/openhim/index.js';
import { ConfigError, loadSettings, validateSettings } from '../../../src/config/load.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import { startConfiguredMediator } from '../../support/openhim-configured-mediator.js';
import { waitFor } from '../../support/wait-for.js';

const PASSWORD = 'url-check-secret-Kp2';
const basic = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;

function startUpError(env: Record<string, string>): unknown {
  try {
    validateSettings(
      loadSettings({ AUTH_PASSWORD: PASSWORD, OPENHIM_PASSWORD: 'core-api-pw-77', ...env } as NodeJS.ProcessEnv),
    );
  } catch (err) {
    return err;
  }
  return undefined;
}

t.test('a URL setting that is no http(s) URL stops start-up naming the setting', async (t) => {
  const cases: [string, string, string][] = [
    ['PUBLIC_BASE_URL', 'hie.example.org:5000', 'server.publicBaseUrl'],
    ['PUBLIC_BASE_URL', 'https://', 'server.publicBaseUrl'],
    ['OPENHIM_API_URL', 'openhim-core:8080', 'openhim.apiUrl'],
    ['REGISTRY_URL', 'mfr.example.org/fhir', 'registry.url'],
    ['OPENLMIS_BASE_URL', 'http://lmis example.org', 'openlmis.baseUrl'],
  ];
  for (const [env, value, key] of cases) {
    const err = startUpError({ [env]: value });
    t.ok(err instanceof ConfigError, `${env}=${value} refused`);
    t.match((err as Error).message, `${key} (${env}) must be an http(s) URL, got '${value}'`);
  }
  for (const [env, value] of [
    ['PUBLIC_BASE_URL', 'https://hie.example.org:5000/'],
    ['OPENHIM_API_URL', 'https://openhim-core:8080'],
    ['REGISTRY_URL', 'http://127.0.0.1:8085/fhir'],
  ])
    t.equal(startUpError({ [env]: value }), undefined, `${env}=${value} taken`);
});

t.test('a publicBaseUrl without its scheme from the console is refused; links keep the one in force', async (t) => {
  const { openhim, mediator, lines } = await startConfiguredMediator(t, {
    password: PASSWORD,
    logLevel: 'info',
    env: { PUBLIC_BASE_URL: 'https://hie.example.org:5000' },
  });
  const urn = loadMediatorConfig().urn;
  const admin = openhimAdmin(openhim.url, DEFAULT_OPENHIM_USER);
  const refusal = 'applying OpenHIM config failed; previous settings stay in force';
  await waitFor('the registered config applied', () =>
    lines.some((l) => l.msg === 'configuration from OpenHIM applied'),
  );

  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  const res = await admin.setConfig(urn, { ...shown, publicBaseUrl: 'hie.example.org:5000' });
  t.equal(res.status, 200, res.text);
  await waitFor('the save refused', () => lines.some((l) => l.msg === refusal));
  t.match(
    lines.find((l) => l.msg === refusal)?.err?.message,
    "server.publicBaseUrl (PUBLIC_BASE_URL) must be an http(s) URL, got 'hie.example.org:5000'",
  );
  t.equal(mediator.settings()['server.publicBaseUrl'], 'https://hie.example.org:5000');
  const search = await fetch(`${mediator.url}/fhir/Location?_count=1`, { headers: { authorization: basic } });
  t.equal(search.status, 200);
  const bundle = (await search.json()) as { link: { relation: string; url: string }[] };
  t.equal(
    bundle.link.find((l) => l.relation === 'self')?.url,
    'https://hie.example.org:5000/fhir/Location?_count=1',
    'links keep the public URL in force',
  );

  // the operator who saved it sees why on /ready (and the console's systems view), not only in the log
  const readiness = async () => {
    const res = await fetch(`${mediator.url}/ready`, { headers: { authorization: basic } });
    const body = (await res.json()) as { checks: { name: string; status: string; reason?: string }[] };
    return { code: res.status, openhim: body.checks.find((c) => c.name === 'openhim') };
  };
  const refused = await readiness();
  t.equal(refused.code, 200, 'a refused save does not make the mediator unready');
  t.equal(refused.openhim?.status, 'degraded');
  t.match(
    refused.openhim?.reason,
    /^OpenHIM console settings refused since \S+: server\.publicBaseUrl \(PUBLIC_BASE_URL\) must be an http\(s\) URL, got 'hie\.example\.org:5000' \[console: "Public base URL" \(publicBaseUrl\)\]; the previous settings stay in force$/,
  );

  const fixed = await admin.setConfig(urn, { ...shown, publicBaseUrl: 'https://hie2.example.org' });
  t.equal(fixed.status, 200, fixed.text);
  await waitFor(
    'the fixed URL applied',
    () => mediator.settings()['server.publicBaseUrl'] === 'https://hie2.example.org',
  );
  const after = await readiness();
  t.equal(after.openhim?.status, 'ok', 'a save applied clears the line');
});
