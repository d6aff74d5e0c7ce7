/**
 * A change of an order interrupted by a crash (issue 16): the mediator process is SIGKILLed while
 * its PUT of the changed requisition hangs in OpenLMIS, and restarted on the same database. The
 * outbox resumes the amendment: OpenLMIS ends with the one requisition, holding the change once
 * (revision 1), and a resend of the same change afterwards is a duplicate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startHarness } from '../../unit/sandbox/openlmis/helpers.js';
import { orderLine, why } from '../../support/openlmis-e2e.js';
import { freePort, until } from '../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../..');
const PASSWORD = 'amend-crash-Zx2';

/** node with the tsx loader, so SIGKILL reaches the mediator itself (see openlmis/crash.test.ts). */
function startMediatorProcess(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'serve'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
}

t.test('SIGKILL during the PUT of an amendment: applied once after restart', async (t) => {
  const lmis = await startHarness();
  const dir = mkdtempSync(path.join(tmpdir(), 'amend-crash-'));
  const port = await freePort();
  const env = {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    AUTH_PASSWORD: PASSWORD,
    DATABASE_URL: '',
    OPENLMIS_BASE_URL: lmis.sb.url,
    OPENLMIS_USERNAME: 'mediator',
    OPENLMIS_PASSWORD: 'password',
    OPENLMIS_CLIENT_SECRET: 'changeme',
    OUTBOX_DEADLINE_MS: '1500',
    OUTBOX_ATTEMPT_TIMEOUT_MS: '4000',
    OUTBOX_LEASE_MS: '5000',
    OUTBOX_BACKOFF_BASE_MS: '100',
    OUTBOX_BACKOFF_CAP_MS: '500',
  };
  let child = startMediatorProcess(env);
  t.teardown(async () => {
    child.kill('SIGKILL');
    await lmis.sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;
  const put = async (qty: number) => {
    const res = await fetch(`${base}/fhir/SupplyRequest/crash-amend`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        ...orderLine({ order: 'CRASH-AMEND', facilityId, program: 'EM01', productCode: 'EM-ORS', qty }),
        id: 'crash-amend',
      }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  await until('the mediator', async () => (await fetch(`${base}/health`)).ok);
  const facilityId = lmis.seed.facilities['LK-HC-102'];
  const ofFacility = () =>
    lmis.sb.state
      .requisitionsByStatus()
      .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01);

  const created = await put(100);
  t.equal(created.status, 201, why(created));
  t.equal(ofFacility()[0]?.status, 'SUBMITTED');

  lmis.sb.faults.add({ method: 'PUT', path: '/api/requisitions/*', action: { type: 'hang' }, times: 1 });
  const changed = await put(160);
  t.equal(changed.status, 202, `accepted while OpenLMIS hangs: ${why(changed)}`);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  child = startMediatorProcess(env);
  await until('the restarted mediator', async () => (await fetch(`${base}/health`)).ok);
  await until(
    'the amendment applied',
    async () => ofFacility()[0]?.extraData?.fhirOrderRevision === 1 || undefined,
    60_000,
  );
  const [req] = ofFacility();
  t.equal(ofFacility().length, 1, 'one requisition');
  t.equal(req.status, 'SUBMITTED');
  const quantities = req.lineItems
    .filter((l: any) => l.requestedQuantity !== null)
    .map((l: any) => l.requestedQuantity);
  t.same(quantities, [160], 'the changed quantity, on the one line');
  const resent = await put(160);
  t.equal(resent.status, 200, why(resent));
  t.equal(req.extraData.fhirOrderRevision, 1, 'a resend after the restart is a duplicate');
});
