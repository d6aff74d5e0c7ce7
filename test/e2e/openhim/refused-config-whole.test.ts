/**
 * A console change the mediator refuses is refused whole (README "Configuration": "from the
 * console it is refused and the previous settings stay"). The refusal can come from a connector
 * being built for a newly configured system (DHIS2's stock target `rts` without its program),
 * after another connector, configured before and changed in the same save, was already
 * reconfigured: OpenLMIS must keep the URL in force, not the one the refused save carried.
 * Through the real mediator (startMediator), the OpenHIM sandbox and the OpenLMIS sandbox.
 */
import t from 'tap';
import { DEFAULT_OPENHIM_USER, openhimAdmin } from '../../../sandbox/openhim/index.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import { freePort } from '../../support/net.js';
import { startConfiguredMediator } from '../../support/openhim-configured-mediator.js';
import { waitFor } from '../../support/wait-for.js';

const PASSWORD = 'whole-secret-Kp2';
const basic = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;

t.test('a console save refused by one connector leaves every connector as it was', async (t) => {
  const { openhim, lmis, mediator, lines } = await startConfiguredMediator(t, { password: PASSWORD, logLevel: 'info' });
  const urn = loadMediatorConfig().urn;
  const admin = openhimAdmin(openhim.url, DEFAULT_OPENHIM_USER);
  await waitFor('the registered config applied', () =>
    lines.some((l) => l.msg === 'configuration from OpenHIM applied'),
  );
  const read = () => fetch(`${mediator.url}/fhir/Location?_count=1`, { headers: { authorization: basic } });
  t.equal((await read()).status, 200, 'OpenLMIS answers before the change');

  // one save: OpenLMIS moved to a port nobody listens on, and DHIS2 turned on with a combination
  // its connector refuses (stock target rts needs dhis2.rtsProgram)
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  const res = await admin.setConfig(urn, {
    ...shown,
    openlmisBaseUrl: nowhere,
    dhis2BaseUrl: 'http://127.0.0.1:9/dhis2',
    dhis2StockTarget: 'rts',
  });
  t.equal(res.status, 200, res.text);
  await waitFor('the save refused', () =>
    lines.some((l) => l.msg === 'applying OpenHIM config failed; previous settings stay in force'),
  );
  const refusal = lines.find((l) => l.msg === 'applying OpenHIM config failed; previous settings stay in force');
  t.match(refusal?.err?.message, /dhis2\.stockTarget=rts needs dhis2\.rtsProgram/);

  t.equal(mediator.settings()['openlmis.baseUrl'], lmis.url, 'the settings in force keep the old URL');
  const after = await read();
  t.equal(after.status, 200, 'OpenLMIS reads still go to the OpenLMIS in force, not the refused URL');
  const ready = await fetch(`${mediator.url}/ready`, { headers: { authorization: basic } });
  const body = (await ready.json()) as { checks: { name: string; status: string }[] };
  t.equal(body.checks.find((c) => c.name === 'openlmis')?.status, 'ok', 'the OpenLMIS ping reaches it too');
  t.notOk(
    body.checks.some((c) => c.name === 'dhis2'),
    'no DHIS2 connector from the refused save',
  );
});
