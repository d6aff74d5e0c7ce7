/**
 * A bad day for an order, end to end with the real mediator process: it is SIGKILLed between
 * initiating the requisition and submitting it, and restarted on the same database. The journal
 * resumes after the completed steps, so OpenLMIS ends with exactly one submitted requisition.
 * Token expiry and a 503 in the middle of the flow end the same way (in-process rig).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { why } from '../../../support/openlmis-e2e.js';
import { startHarness } from '../../../unit/sandbox/openlmis/helpers.js';
import { orderLine, startRig, transactionOf } from '../../../support/openlmis-e2e.js';
import { freePort, until } from '../../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const PASSWORD = 'crash-secret-Zx1';

/**
 * node itself with the tsx loader, not the tsx CLI: the CLI runs the program in a child process,
 * so a SIGKILL to it would leave the real mediator running (and no crash would have happened).
 */
function startMediatorProcess(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'serve'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
}

t.test('SIGKILL between initiate and submit: one submitted requisition after restart', async (t) => {
  const lmis = await startHarness();
  const dir = mkdtempSync(path.join(tmpdir(), 'lmis-crash-'));
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
  await until('the mediator', async () => (await fetch(`${base}/health`)).ok);

  // The fill step (PUT of the requisition) hangs once: the initiate is done upstream when we kill.
  lmis.sb.faults.add({ method: 'PUT', path: '/api/requisitions/*', action: { type: 'hang' }, times: 1 });
  const facilityId = lmis.seed.facilities['LK-HC-102'];
  const bundle = transactionOf(
    ['EM-AMX250', 'EM-ORS'].map((productCode) =>
      orderLine({ order: 'CRASH-1', facilityId, program: 'EM01', productCode, qty: 200 }),
    ),
  );
  const ofFacility = () =>
    lmis.sb.state
      .requisitionsByStatus()
      .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01);
  const res = await fetch(`${base}/fhir`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(bundle),
  });
  t.equal(res.status, 200);
  const body = (await res.json()) as any;
  t.match(body.entry[0].response.status, /^202/, 'accepted, still in flight');
  t.equal(ofFacility().length, 1, 'the requisition was initiated');
  t.equal(ofFacility()[0].status, 'INITIATED');

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const gone = await fetch(`${base}/health`).then(
    () => false,
    () => true,
  );
  t.ok(gone, 'the killed mediator no longer answers (the process itself died, not a wrapper)');
  child = startMediatorProcess(env);
  await until('the restarted mediator', async () => (await fetch(`${base}/health`)).ok);
  await until(
    'the requisition submitted',
    async () => ofFacility().some((r: any) => r.status === 'SUBMITTED') || undefined,
    60_000,
  );
  await new Promise((r) => setTimeout(r, 500));
  t.equal(ofFacility().length, 1, 'exactly one requisition');
  t.equal(ofFacility()[0].status, 'SUBMITTED');
  const read = await fetch(`${base}/fhir/SupplyRequest?identifier=CRASH-1`, { headers: { authorization: auth } });
  const found = ((await read.json()) as any).entry ?? [];
  t.equal(found.length, 2, 'both lines read back');
  t.ok(found.every((e: any) => e.resource.status === 'active'));
});

t.test('token expiry mid-flow and a 503 on submit: one submitted requisition each', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { lmis } = rig;
  const cases = [
    {
      facility: 'LK-HC-103',
      fault: { method: 'POST', path: '/api/requisitions/*/submit', action: { type: 'expireToken' as const }, times: 1 },
    },
    {
      facility: 'LK-DH-201',
      fault: {
        method: 'POST',
        path: '/api/requisitions/*/submit',
        action: { type: 'status' as const, status: 503 },
        times: 1,
      },
    },
  ];
  for (const c of cases) {
    const facilityId = lmis.seed.facilities[c.facility];
    lmis.sb.faults.add(c.fault);
    const bundle = transactionOf(
      ['EM-AMX250', 'EM-ZNC20'].map((productCode) =>
        orderLine({ order: `BAD-${c.facility}`, facilityId, program: 'EM01', productCode, qty: 100 }),
      ),
    );
    const res = await rig.fhir('POST', '/fhir', bundle);
    t.equal(res.status, 200, why(res));
    const ofFacility = () =>
      lmis.sb.state
        .requisitionsByStatus()
        .filter((r: any) => r.facilityId === facilityId && r.programId === lmis.seed.programs.EM01);
    await until(
      `${c.facility} submitted`,
      async () => ofFacility().some((r: any) => r.status === 'SUBMITTED') || undefined,
      30_000,
    );
    t.equal(ofFacility().length, 1, `${c.fault.action.type}: exactly one requisition`);
    t.equal(ofFacility()[0].status, 'SUBMITTED');
  }
});
