/**
 * The OpenHIM transaction update of a write answered 202, through the real mediator, the OpenLMIS
 * connector and its sandbox, with the OpenHIM sandbox keeping transactions as core's router does;
 * SQLite always, PostgreSQL when TEST_DATABASE_URL is set. The update carries the OpenLMIS calls
 * of the attempt that delivered the write, appended to what the 202 left, credentials masked. A
 * client reaching the mediator directly with the id of another transaction (answered at once
 * through OpenHIM) gets its own write delivered and that transaction left as core keeps it. An
 * update core applied but whose answer was lost is sent again without appending its calls twice.
 * One naming a transaction that does await our update gets its write delivered, its debt refused,
 * and nothing of it into that update.
 */
import t, { type Test } from 'tap';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { damagedStock, orderLine, RIG_AUTH, type Rig } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

const INITIATE = '/api/requisitions/initiate';

const line = (rig: Rig, order: string, qty: number) =>
  orderLine({
    order,
    facilityId: rig.lmis.seed.facilities['LK-HC-101'],
    program: 'EM01',
    productCode: 'EM-ORS',
    qty,
    priority: 'urgent',
  });

type Orchestration = {
  name: string;
  request: { path: string; headers: Record<string, string> };
  response?: { status: number };
};

/**
 * The rig through OpenHIM with OpenLMIS's initiate down (503) until the test clears it: writes
 * answered 202. Its circuit breaker never opens: retried every 200 ms at most, a few writes fail
 * five times before the test clears the fault, and an open breaker would hold them 30 s.
 */
async function rigInitiateDown(t: Parameters<typeof startRigThroughOpenHim>[0], engine: EngineCase) {
  const started = await startRigThroughOpenHim(t, engine, {
    OUTBOX_DEADLINE_MS: '300',
    OUTBOX_MAX_ATTEMPTS: '1000',
    OUTBOX_BREAKER_FAILURES: '1000',
  });
  started.rig.lmis.sb.faults.add({ method: 'POST', path: INITIATE, action: { type: 'status', status: 503 } });
  return started;
}

/**
 * The rig with a routed order line (`<key>-1`) answered 202 under `tx`, then a client straight to
 * the mediator under the same id: a stock write (`<key>-F1`), its OpenLMIS endpoint kept down
 * (stockDown) while the test lets the routed write through.
 */
async function routedThenForgedStock(t: Test, engine: EngineCase, tx: string, key: string) {
  const { openhim, rig } = await rigInitiateDown(t, engine);
  const stockDown = rig.lmis.sb.faults.add({ path: '**/stockEvents', action: { type: 'status', status: 503 } });
  const routed = await rig.fhir('POST', '/fhir/SupplyRequest', line(rig, `${key}-1`, 10), {
    'x-openhim-transactionid': tx,
  });
  t.match(routed.body, { status: 'Processing', properties: { awaitsUpdateFrom: /^urn:/ } });
  const facility = rig.lmis.seed.facilities['LK-HC-101'];
  const forged = await fetch(`${rig.mediator.url}/fhir/R5/InventoryReport`, {
    method: 'POST',
    headers: { authorization: RIG_AUTH, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': tx },
    body: JSON.stringify(damagedStock(facility, `${key}-F1`, 1)),
  });
  t.match(await forged.json(), { response: { status: 202 } }, 'the forged write is queued under the same id');
  return { openhim, rig, stockDown };
}

/** A transaction Bundle: a GET of the facility, then one order line per order. */
function bundleOf(rig: Rig, orders: string[]) {
  const facility = rig.lmis.seed.facilities['LK-HC-101'];
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { request: { method: 'GET', url: `Location/${facility}` } },
      ...orders.map((order, i) => ({
        fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        resource: line(rig, order, 10 + i),
        request: { method: 'POST', url: 'SupplyRequest' },
      })),
    ],
  };
}

/** The `count` jobs of transaction `tx`, once each is delivered and its update debt settled. */
function everyDebtSettled(rig: Rig, tx: string, count: number) {
  return until(
    'every write delivered and every debt settled',
    async () => {
      const all = (await rig.mediator.store.listJobs({})).filter((j) => j.transactionId === tx);
      const settled = all.every((j) => j.status === 'done' && j.transactionUpdate?.state !== 'owed');
      return all.length === count && settled ? all : undefined;
    },
    30_000,
  );
}

/** The response body of the one update OpenHIM got for `tx` (asserted one). */
function theOneUpdateBody(t: Test, openhim: { state: { transactionUpdates: Map<string, unknown> } }, tx: string) {
  const updates = openhim.state.transactionUpdates.get(tx) as any[];
  t.equal(updates.length, 1, 'one update');
  return JSON.parse(updates[0].response.body);
}

for (const engine of engineCases()) {
  t.test(`a 202's update shows the delivering attempt (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { openhim, rig } = await startRigThroughOpenHim(t, engine, { OUTBOX_DEADLINE_MS: '300' });
    rig.lmis.sb.faults.add({ method: 'POST', path: INITIATE, times: 1, action: { type: 'status', status: 503 } });
    const tx = '65f0c0ffee0000000000f001';
    const first = await rig.fhir('POST', '/fhir/SupplyRequest', line(rig, 'UPD-ORCH-1', 30), {
      'x-openhim-transactionid': tx,
    });
    t.match(first.body, { status: 'Processing', response: { status: 202 }, properties: { awaitsUpdateFrom: /^urn:/ } });
    const left = (first.body.orchestrations as Orchestration[]).length;
    await until('the update', async () => openhim.state.transactionUpdates.has(tx), 30_000);
    const [update] = openhim.state.transactionUpdates.get(tx) as any[];
    t.match(update, { status: 'Successful', response: { status: 201 } });
    const pushed = update.$push.orchestrations.$each as Orchestration[];
    t.ok(
      pushed.some((o) => o.request.path === INITIATE && o.response?.status === 201),
      `the successful initiate is among the ${pushed.length} calls of the delivering attempt`,
    );
    for (const o of pushed)
      for (const [name, value] of Object.entries(o.request.headers))
        if (name.toLowerCase() === 'authorization') t.match(value, /\*{10}/, `${o.name}: its credential masked`);
    const stored = openhim.state.transactions.get(tx)!;
    t.equal(stored.orchestrations.length, left + pushed.length, "appended to the 202's, not replacing them");
    t.equal(stored.status, 'Successful');
  });

  t.test(
    `an update applied but not answered is sent again without its calls twice (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await startRigThroughOpenHim(t, engine, { OUTBOX_DEADLINE_MS: '300' });
      rig.lmis.sb.faults.add({ method: 'POST', path: INITIATE, times: 1, action: { type: 'status', status: 503 } });
      openhim.state.lostUpdateAnswers = 1; // core writes the first PUT, its answer never comes back
      const tx = '65f0c0ffee0000000000f003';
      const first = await rig.fhir('POST', '/fhir/SupplyRequest', line(rig, 'UPD-LOST-1', 40), {
        'x-openhim-transactionid': tx,
      });
      t.match(first.body, { status: 'Processing', response: { status: 202 } });
      const left = (first.body.orchestrations as Orchestration[]).length;
      const settled = await until(
        'the update sent again and recorded',
        async () => {
          const jobs = await rig.mediator.store.listJobs({});
          const job = jobs.find((j) => j.transactionId === tx);
          return job?.transactionUpdate?.state === 'sent' ? job : undefined;
        },
        30_000,
      );
      t.ok(settled, 'the debt is settled by the second send');
      const [applied, again] = openhim.state.transactionUpdates.get(tx) as any[];
      const pushed = applied.$push.orchestrations.$each as Orchestration[];
      t.ok(pushed.length > 0, `the first send carried the ${pushed.length} calls of the delivering attempt`);
      t.match(again, { status: 'Successful', response: { status: 201 } }, 'the second sets the final state again');
      t.notOk(again.$push, 'and appends none of the calls core already keeps');
      const stored = openhim.state.transactions.get(tx)!;
      t.equal(stored.orchestrations.length, left + pushed.length, 'each call of the attempt once');
      t.equal(stored.status, 'Successful');
    },
  );

  t.test(
    `a direct client naming a transaction that awaits our update gets nothing into it (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // OpenLMIS down until both writes are in: each is answered 202 and waits for the worker
      const { openhim, rig } = await rigInitiateDown(t, engine);
      const tx = '65f0c0ffee0000000000f004';
      const routed = await rig.fhir('POST', '/fhir/SupplyRequest', line(rig, 'UPD-OWED-1', 10), {
        'x-openhim-transactionid': tx,
      });
      t.match(routed.body, {
        status: 'Processing',
        response: { status: 202 },
        properties: { awaitsUpdateFrom: /^urn:/ },
      });
      const forged = await fetch(`${rig.mediator.url}/fhir/SupplyRequest`, {
        method: 'POST',
        headers: { authorization: RIG_AUTH, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': tx },
        body: JSON.stringify(line(rig, 'UPD-FORGED-2', 20)),
      });
      t.match(await forged.json(), { response: { status: 202 } }, 'the forged write is queued under the same id');
      rig.lmis.sb.faults.clear();

      const [owed, foreign] = await until(
        'both writes delivered and their debts settled',
        async () => {
          const jobs = (await rig.mediator.store.listJobs({})).filter((j) => j.transactionId === tx);
          const of = (key: string) => jobs.find((j) => j.idempotencyKey.includes(key));
          const pair = [of('UPD-OWED-1'), of('UPD-FORGED-2')];
          const settled = pair.every((j) => j?.status === 'done' && j.transactionUpdate?.state !== 'owed');
          return settled ? pair : undefined;
        },
        30_000,
      );
      t.match(owed!.transactionUpdate, { state: 'sent' }, "the routed write's update is sent");
      t.match(foreign!.transactionUpdate, { state: 'refused' }, "the forged write's debt is refused");
      const updates = openhim.state.transactionUpdates.get(tx) as any[];
      t.equal(updates.length, 1, 'one update');
      t.match(updates[0], { status: 'Successful', response: { status: 201 } }, 'the routed write alone: no Bundle');
      t.notMatch(updates[0].response.body, /transaction-response/, 'no second entry');
      const pushed = updates[0].$push.orchestrations.$each as Orchestration[];
      t.equal(pushed.filter((o) => o.request.path === INITIATE).length, 1, "the routed write's attempt alone");
      t.equal(openhim.state.transactions.get(tx)!.status, 'Successful');
    },
  );

  t.test(
    `a forged write still queued under the id holds the routed write's update back no longer (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const tx = '65f0c0ffee0000000000f006';
      const { openhim, rig, stockDown } = await routedThenForgedStock(t, engine, tx, 'UPD-AHEAD');
      // OpenLMIS takes the routed write; the forged one's endpoint stays down
      for (const f of rig.lmis.sb.faults.list()) if (f.id !== stockDown.id) rig.lmis.sb.faults.remove(f.id);

      await until("the routed write's update", async () => openhim.state.transactionUpdates.has(tx), 30_000);
      const jobs = (await rig.mediator.store.listJobs({})).filter((j) => j.transactionId === tx);
      const of = (key: string) => jobs.find((j) => j.idempotencyKey.includes(key));
      t.not(of('UPD-AHEAD-F1')?.status, 'done', 'sent while the forged write is still queued');
      const [update] = openhim.state.transactionUpdates.get(tx) as any[];
      t.match(update, { status: 'Successful', response: { status: 201 } }, 'the routed write alone');
      t.match(
        update.response.headers,
        { 'Content-Type': 'application/fhir+json; fhirVersion=4.0; charset=utf-8' },
        'in the FHIR release the routed request was answered in',
      );

      rig.lmis.sb.faults.clear();
      const foreign = await until(
        'the forged write delivered and its debt settled',
        async () => {
          const job = (await rig.mediator.store.listJobs({})).find((j) => j.idempotencyKey.includes('UPD-AHEAD-F1'));
          return job?.status === 'done' && job.transactionUpdate?.state !== 'owed' ? job : undefined;
        },
        30_000,
      );
      t.match(foreign.transactionUpdate, { state: 'refused' }, "the forged write's debt is refused");
      t.equal((openhim.state.transactionUpdates.get(tx) as any[]).length, 1, 'one update');
    },
  );

  t.test(
    `the sweep sends the routed write's update a failed first send left, a forged write still queued (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const tx = '65f0c0ffee0000000000f009';
      const { openhim, rig, stockDown } = await routedThenForgedStock(t, engine, tx, 'UPD-SWEEP');
      // core down when the routed write ends: the update its end sends fails
      openhim.state.unavailable = true;
      for (const f of rig.lmis.sb.faults.list()) if (f.id !== stockDown.id) rig.lmis.sb.faults.remove(f.id);
      await until(
        "the routed write's first update failed",
        async () => {
          const job = (await rig.mediator.store.listJobs({})).find((j) => j.idempotencyKey.includes('UPD-SWEEP-1'));
          return job?.status === 'done' && (job.transactionUpdate?.attempts ?? 0) > 0 ? job : undefined;
        },
        30_000,
      );
      openhim.state.unavailable = false;

      await until(
        "the routed write's update, sent by the sweep",
        async () => openhim.state.transactionUpdates.has(tx),
        30_000,
      );
      const forgedJob = (await rig.mediator.store.listJobs({})).find((j) => j.idempotencyKey.includes('UPD-SWEEP-F1'));
      t.not(forgedJob?.status, 'done', 'sent while the forged write is still queued');
      const [update] = openhim.state.transactionUpdates.get(tx) as any[];
      t.match(update, { status: 'Successful', response: { status: 201 } }, 'the routed write alone');
    },
  );

  t.test(
    `a direct client's Bundle of more entries under a routed Bundle's id refuses nothing (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await rigInitiateDown(t, engine);
      const tx = '65f0c0ffee0000000000f005';
      const bundle = (orders: string[]) => bundleOf(rig, orders);
      const routed = await rig.fhir('POST', '/fhir', bundle(['UPD-BUNDLE-1']), { 'x-openhim-transactionid': tx });
      t.match(routed.body, { status: 'Processing', properties: { awaitsUpdateFrom: /^urn:/ } });
      // after it, straight to the mediator: its third entry is kept under the id (the first two are the routed one's)
      const forged = await fetch(`${rig.mediator.url}/fhir`, {
        method: 'POST',
        headers: { authorization: RIG_AUTH, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': tx },
        body: JSON.stringify(bundle(['UPD-BUNDLE-F1', 'UPD-BUNDLE-F2'])),
      });
      t.equal(forged.status, 200, 'the forged Bundle is answered');
      await forged.body?.cancel();
      rig.lmis.sb.faults.clear();

      const jobs = await everyDebtSettled(rig, tx, 3);
      const of = (key: string) => jobs.find((j) => j.idempotencyKey.includes(key));
      t.match(of('UPD-BUNDLE-1')!.transactionUpdate, { state: 'sent' }, "the routed Bundle's update is sent");
      t.match(of('UPD-BUNDLE-F1')!.transactionUpdate, { state: 'refused' }, "the forged writes' debts refused");
      t.match(of('UPD-BUNDLE-F2')!.transactionUpdate, { state: 'refused' });
      const body = theOneUpdateBody(t, openhim, tx);
      t.equal(body.entry.length, 2, "the routed Bundle's two entries alone");
      t.match(body.entry[1], { response: { status: /^201/ } }, 'its write delivered');
    },
  );

  t.test(
    `a direct client's Bundle kept before a routed Bundle under its id neither refuses nor shapes its update (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await rigInitiateDown(t, engine);
      const tx = '65f0c0ffee0000000000f007';
      const bundle = (orders: string[]) => bundleOf(rig, orders);
      // first, straight to the mediator: its entry map is the one kept under the id
      const forged = await fetch(`${rig.mediator.url}/fhir`, {
        method: 'POST',
        headers: { authorization: RIG_AUTH, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': tx },
        body: JSON.stringify(bundle(['UPD-FIRST-F1', 'UPD-FIRST-F2'])),
      });
      t.equal(forged.status, 200, 'the forged Bundle is answered');
      await forged.body?.cancel();
      const routed = await rig.fhir('POST', '/fhir', bundle(['UPD-FIRST-1']), { 'x-openhim-transactionid': tx });
      t.match(routed.body, { status: 'Processing', properties: { awaitsUpdateFrom: /^urn:/ } });
      rig.lmis.sb.faults.clear();

      const jobs = await everyDebtSettled(rig, tx, 3);
      const of = (key: string) => jobs.find((j) => j.idempotencyKey.includes(key));
      t.match(of('UPD-FIRST-1')!.transactionUpdate, { state: 'sent' }, "the routed Bundle's update is sent");
      t.match(of('UPD-FIRST-F1')!.transactionUpdate, { state: 'refused' }, "the forged writes' debts refused");
      const body = theOneUpdateBody(t, openhim, tx);
      t.match(body, { resourceType: 'Bundle', type: 'transaction-response' });
      t.equal(body.entry.length, 2, "the routed Bundle's own two entries (v48), none of the forged Bundle's");
      t.match(body.entry[0], { response: { status: /^200/ } }, 'its read as answered');
      t.match(body.entry[1], { response: { status: /^201/, location: /\/SupplyRequest\// } }, 'its write delivered');
    },
  );

  t.test(
    `a direct client's Bundle of only reads kept first lends the routed Bundle none of its answers (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await rigInitiateDown(t, engine);
      const tx = '65f0c0ffee0000000000f008';
      const facility = rig.lmis.seed.facilities['LK-HC-101'];
      // first, straight to the mediator: as many entries as the routed Bundle, every one a read
      const reads = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { request: { method: 'GET', url: `Location/${facility}` } },
          { request: { method: 'GET', url: `Location/${facility}` } },
        ],
      };
      const forged = await fetch(`${rig.mediator.url}/fhir`, {
        method: 'POST',
        headers: { authorization: RIG_AUTH, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': tx },
        body: JSON.stringify(reads),
      });
      t.equal(forged.status, 200, 'the forged Bundle is answered');
      await forged.body?.cancel();
      const routed = await rig.fhir('POST', '/fhir', bundleOf(rig, ['UPD-READS-1']), { 'x-openhim-transactionid': tx });
      t.match(routed.body, { status: 'Processing', properties: { awaitsUpdateFrom: /^urn:/ } });
      rig.lmis.sb.faults.clear();

      const [job] = await everyDebtSettled(rig, tx, 1);
      t.match(job.transactionUpdate, { state: 'sent' }, "the routed Bundle's update is sent");
      const body = theOneUpdateBody(t, openhim, tx);
      t.equal(body.entry.length, 2, 'its two entries');
      t.match(body.entry[0], { response: { status: /^200/ } }, 'its read');
      t.match(
        body.entry[1],
        { response: { status: /^201/, location: /\/SupplyRequest\// } },
        "its write's answer, not the forged read's",
      );
    },
  );

  for (const order of ['before', 'after'] as const)
    t.test(
      `a direct client's Bundle with the routed Bundle's write, ${order} it, shapes none of its update (${engine.name})`,
      { skip: engine.skip },
      async (t) => {
        const { openhim, rig } = await rigInitiateDown(t, engine);
        const tx = order === 'before' ? '65f0c0ffee0000000000f050' : '65f0c0ffee0000000000f051';
        const routedBundle = bundleOf(rig, [`UPD-SAME-${order}`]);
        // straight to the mediator: a read more, then the routed Bundle's very entries (its write's
        // key answers it from the same job): the same writes, another entry count
        const facility = rig.lmis.seed.facilities['LK-HC-101'];
        const read = { request: { method: 'GET', url: `Location/${facility}` } };
        const forge = async () => {
          const forged = await fetch(`${rig.mediator.url}/fhir`, {
            method: 'POST',
            headers: {
              authorization: RIG_AUTH,
              'content-type': 'application/fhir+json',
              'x-openhim-transactionid': tx,
            },
            body: JSON.stringify({ ...routedBundle, entry: [read, ...routedBundle.entry] }),
          });
          t.equal(forged.status, 200, 'the forged Bundle is answered');
          await forged.body?.cancel();
        };
        if (order === 'before') await forge();
        const routed = await rig.fhir('POST', '/fhir', routedBundle, { 'x-openhim-transactionid': tx });
        t.match(routed.body, { status: 'Processing', properties: { awaitsUpdateOfRequest: /^[0-9a-f-]{36}$/ } });
        if (order === 'after') await forge();
        rig.lmis.sb.faults.clear();

        const [job] = await everyDebtSettled(rig, tx, 1);
        t.match(job.transactionUpdate, { state: 'sent' }, "the routed Bundle's update is sent");
        // before v50 one row for both, their counts differing: the bare 201, no Bundle
        const body = theOneUpdateBody(t, openhim, tx);
        t.match(body, { resourceType: 'Bundle', type: 'transaction-response' });
        t.equal(body.entry?.length, 2, "the routed Bundle's own two entries, none of the forged one's");
        t.match(body.entry?.[0], { response: { status: /^200/ } }, 'its read');
        t.match(body.entry?.[1], { response: { status: /^201/ } }, 'its write delivered');
      },
    );

  t.test(
    `a direct client naming another transaction overwrites nothing (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { openhim, rig } = await startRigThroughOpenHim(t, engine, { OUTBOX_DEADLINE_MS: '300' });
      const victim = '65f0c0ffee0000000000f002';
      const answered = await rig.fhir('POST', '/fhir/SupplyRequest', line(rig, 'UPD-VICTIM-1', 10), {
        'x-openhim-transactionid': victim,
      });
      t.match(answered.body, { status: 'Successful', response: { status: 201 } }, 'answered at once through OpenHIM');
      t.notOk(answered.body.properties?.awaitsUpdateFrom, 'no update will come: no mark');
      const before = structuredClone(openhim.state.transactions.get(victim));

      // straight to the mediator with the victim's id, OpenLMIS failing once: answered 202
      rig.lmis.sb.faults.add({ method: 'POST', path: INITIATE, times: 1, action: { type: 'status', status: 503 } });
      const forged = await fetch(`${rig.mediator.url}/fhir/SupplyRequest`, {
        method: 'POST',
        headers: {
          authorization: RIG_AUTH,
          'content-type': 'application/fhir+json',
          'x-openhim-transactionid': victim,
        },
        body: JSON.stringify(line(rig, 'UPD-FORGED-1', 20)),
      });
      t.match(await forged.json(), { response: { status: 202 } });
      // the forged write's job: the victim's own was answered at once and owes nothing
      const settled = await until(
        'the forged write delivered and its update settled',
        async () => {
          const jobs = await rig.mediator.store.listJobs({});
          const owing = jobs.find((j) => j.transactionId === victim && j.transactionUpdate !== undefined);
          return owing?.status === 'done' && owing.transactionUpdate?.state !== 'owed' ? owing : undefined;
        },
        30_000,
      );
      t.match(settled.transactionUpdate, { state: 'refused' }, 'the update refused after reading the transaction');
      t.notOk(
        openhim.state.calls.some((c) => c.method === 'PUT'),
        'no PUT /transactions at all',
      );
      t.same(openhim.state.transactions.get(victim), before, 'the transaction is as core keeps it');
    },
  );
}
