/**
 * A console save reaches every connector; one that leaves a system's own settings as they were
 * leaves its login and reference data as they were too. The first config OpenHIM hands back
 * arrives just after start, often while the first requests run: reset then, a cold order logged
 * in to OpenLMIS twice and read its facilities twice (the login started before the reset never
 * filled the cache), time OpenHIM's channel timeout allows spent on reads already made.
 * Through the real mediator, the OpenHIM sandbox's console and the OpenLMIS sandbox.
 */
import t from 'tap';
import { DEFAULT_OPENHIM_USER, openhimAdmin } from '../../../sandbox/openhim/index.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import { startConfiguredMediator } from '../../support/openhim-configured-mediator.js';
import { orderLine } from '../../support/openlmis-e2e.js';
import { waitFor } from '../../support/wait-for.js';

const PASSWORD = 'keeps-login-Tz4';
const basic = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;

t.test('a console save of another setting keeps the OpenLMIS token and reference data', async (t) => {
  const { openhim, lmis, mediator, lines } = await startConfiguredMediator(t, { password: PASSWORD, logLevel: 'info' });
  const urn = loadMediatorConfig().urn;
  const applied = () => lines.filter((l) => l.msg === 'configuration from OpenHIM applied').length;
  await waitFor('the registered config applied', () => applied() === 1);
  const counter = (method: string, path: string) => {
    const rule = lmis.faults.add({ method, path, action: { type: 'delay', ms: 0 } });
    return () => lmis.faults.list().find((r) => r.id === rule.id)?.hits ?? 0;
  };
  const logins = counter('POST', '/api/oauth/token');
  const programReads = counter('GET', '/api/programs');
  const facilities = lmis.state.seedSummary().facilities;
  // each order its own facility: one requisition per facility, program and period
  const order = (id: string, facility: string) =>
    fetch(`${mediator.url}/fhir/SupplyRequest`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(
        orderLine({ order: id, facilityId: facilities[facility], program: 'EM01', productCode: 'EM-ORS', qty: 10 }),
      ),
    });
  t.equal((await order('KEEPS-LOGIN-1', 'LK-HC-101')).status, 201, 'a cold order');
  t.equal(logins(), 1, 'one login');
  t.equal(programReads(), 1, 'programs read once');

  const admin = openhimAdmin(openhim.url, DEFAULT_OPENHIM_USER);
  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  const res = await admin.setConfig(urn, { ...shown, deliveryDeadlineMs: 9_000 });
  t.equal(res.status, 200, res.text);
  await waitFor('the save applied', () => applied() === 2);
  t.equal(mediator.settings()['outbox.deadlineMs'], 9_000, 'the save is in force');

  t.equal((await order('KEEPS-LOGIN-2', 'LK-HC-102')).status, 201, 'a second order');
  t.equal(logins(), 1, 'no second login: the token was kept');
  t.equal(programReads(), 1, 'no second read of programs: the reference data was kept');

  // a save of an OpenLMIS setting is a change of OpenLMIS: its caches start again
  const lmisSave = await admin.setConfig(urn, { ...shown, deliveryDeadlineMs: 9_000, openlmisStockApi: 'uuid' });
  t.equal(lmisSave.status, 200, lmisSave.text);
  await waitFor('the OpenLMIS save applied', () => applied() === 3);
  t.equal((await order('KEEPS-LOGIN-3', 'LK-HC-103')).status, 201, 'a third order');
  t.equal(logins(), 2, 'a new login after OpenLMIS settings changed');
});
