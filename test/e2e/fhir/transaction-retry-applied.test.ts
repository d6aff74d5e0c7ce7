/**
 * A transaction Bundle sent again after it applied (a mobile app whose first answer was lost, an
 * OpenHIM rerun), through the real mediator, the OpenLMIS connector and its sandbox, on both store
 * engines. An order is a transaction of SupplyRequest lines sharing one order number, ONE upstream
 * requisition: sent again with the If-Match its lines had before it applied, each entry answers 200
 * with the line as it is and its ETag, and nothing reaches OpenLMIS or the outbox. A real
 * difference in any line, or a new line beside lines in place, keeps the whole transaction a 412
 * and writes nothing. A cancel sent again is in place too; so is an OpenHIM rerun (a new
 * transaction id, the same Bundle); a batch is answered entry by entry.
 */
import t, { type Test } from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startRigThroughOpenHim } from '../../support/openhim-rig.js';
import { orderLine, requisitionsAt, startRigOn, why, writesSince, type Rig } from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;
interface Line {
  read: Resource;
  etag: string;
}

const jobCount = async (rig: Rig) => (await rig.mediator.store.listJobs()).length;

/** A transaction (or batch) of PUT entries, each with its If-Match when given. */
function bundleOf(entries: { resource: Resource; ifMatch?: string }[], type = 'transaction'): Resource {
  return {
    resourceType: 'Bundle',
    type,
    entry: entries.map(({ resource, ifMatch }) => ({
      resource,
      request: { method: 'PUT', url: `SupplyRequest/${resource.id}`, ...(ifMatch ? { ifMatch } : {}) },
    })),
  };
}

/** A line as read, changed as a client changes it (without meta, these members replaced), guarded by its ETag. */
const edited = (line: Line, change: Resource) => {
  const { meta: _meta, ...content } = line.read;
  return { resource: { ...content, ...change }, ifMatch: line.etag };
};
const qty = (line: Line, value: number) => edited(line, { quantity: { ...line.read.quantity, value } });

/** An order of two lines (ORS, amoxicillin) at `facility`, created by a transaction, and each line as read. */
async function twoLineOrder(rig: Rig, facility: string, order: string): Promise<Line[]> {
  const facilityId = rig.lmis.seed.facilities[facility];
  const lines = [
    { ...orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 120 }), id: `${order}-ors` },
    { ...orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 60 }), id: `${order}-amx` },
  ];
  const made = await rig.fhir('POST', '/fhir', bundleOf(lines.map((resource) => ({ resource }))));
  if (made.status !== 200) throw new Error(`create ${order}: ${why(made)}`);
  return Promise.all(
    lines.map(async ({ id }) => {
      const read = await rig.fhir('GET', `/fhir/SupplyRequest/${id}`);
      if (read.status !== 200) throw new Error(`read ${id}: ${why(read)}`);
      return { read: read.body, etag: read.headers.get('etag')! };
    }),
  );
}

const statuses = (res: { body: any }) => res.body.entry.map((e: any) => e.response.status);
const etags = (res: { body: any }) => res.body.entry.map((e: any) => e.response.etag);

for (const engine of engineCases()) {
  t.test(
    `an order changed by a transaction with If-Match, sent again after it applied (${engine.name})`,
    { skip: engine.skip },
    async (t: Test) => {
      const rig = await startRigOn(t, engine);
      const [ors, amx] = await twoLineOrder(rig, 'LK-HC-101', 'TXR-1');
      const change = bundleOf([qty(ors, 300), qty(amx, 90)]);
      const first = await rig.fhir('POST', '/fhir', change);
      t.equal(first.status, 200, why(first));
      t.same(statuses(first), ['200 OK', '200 OK']);
      const [req] = requisitionsAt(rig, 'LK-HC-101');
      t.equal(req.extraData.fhirOrderRevision, 1, 'one amendment of the one requisition');

      const before = rig.lmis.sb.state.requestCount();
      const jobs = await jobCount(rig);
      const again = await rig.fhir('POST', '/fhir', change);
      t.equal(again.status, 200, `the same transaction again, its If-Matches now stale: ${why(again)}`);
      t.same(statuses(again), ['200 OK', '200 OK']);
      t.same(etags(again), etags(first), "each entry with its line's current ETag");
      t.same(
        again.body.entry.map((e: any) => e.resource.quantity.value),
        [300, 90],
        'and the line as it is',
      );
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal(await jobCount(rig), jobs, 'no new outbox job');
      t.equal(req.extraData.fhirOrderRevision, 1, 'still one amendment');

      // one line with another quantity from the same stale versions: a real conflict, all of it
      const other = await rig.fhir('POST', '/fhir', bundleOf([qty(ors, 300), qty(amx, 95)]));
      t.equal(other.status, 412, why(other));
      t.same(
        other.body.issue.map((i: any) => i.expression[0]),
        ['Bundle.entry[0].request.ifMatch', 'Bundle.entry[1].request.ifMatch'],
        'both stale entries named',
      );
      t.match(other.body.issue[0].diagnostics, /in place already, but Bundle\.entry\[1\] of the same order/);
      // the order sent again with a third line added: a new change of the order, not a retry
      const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
      const third = {
        ...orderLine({ order: 'TXR-1', facilityId, program: 'EM01', productCode: 'EM-PCM500', qty: 10 }),
        id: 'TXR-1-pcm',
      };
      const grown = await rig.fhir('POST', '/fhir', {
        ...change,
        entry: [...change.entry, { resource: third, request: { method: 'PUT', url: 'SupplyRequest/TXR-1-pcm' } }],
      });
      t.equal(grown.status, 412, why(grown));
      t.match(grown.body.issue[0].diagnostics, /but Bundle\.entry\[2\] of the same order would change it/);
      t.same(writesSince(rig, before), [], 'neither reaches OpenLMIS');
      t.equal(await jobCount(rig), jobs, 'nor the outbox');
      t.same(
        req.lineItems
          .filter((l: any) => l.requestedQuantity !== null)
          .map((l: any) => l.requestedQuantity)
          .sort(),
        [300, 90].sort(),
        'the requisition keeps the change that applied',
      );
    },
  );

  t.test(
    `an order cancelled by a transaction, sent again after it applied (${engine.name})`,
    { skip: engine.skip },
    async (t: Test) => {
      const rig = await startRigOn(t, engine);
      const [ors, amx] = await twoLineOrder(rig, 'LK-HC-102', 'TXR-2');
      const cancel = bundleOf([edited(ors, { status: 'cancelled' }), edited(amx, { status: 'cancelled' })]);
      const first = await rig.fhir('POST', '/fhir', cancel);
      t.equal(first.status, 200, why(first));
      t.equal(requisitionsAt(rig, 'LK-HC-102').length, 0, 'the requisition is deleted in OpenLMIS');

      const before = rig.lmis.sb.state.requestCount();
      const jobs = await jobCount(rig);
      const again = await rig.fhir('POST', '/fhir', cancel);
      t.equal(again.status, 200, `the same cancel again: ${why(again)}`);
      t.same(statuses(again), ['200 OK', '200 OK']);
      t.same(
        again.body.entry.map((e: any) => e.resource.status),
        ['cancelled', 'cancelled'],
      );
      t.same(etags(again), etags(first), 'the cancelled versions');
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal(await jobCount(rig), jobs, 'no new outbox job');
    },
  );

  t.test(
    `a batch of If-Match changes sent again: each entry on its own (${engine.name})`,
    { skip: engine.skip },
    async (t: Test) => {
      const rig = await startRigOn(t, engine);
      const [ors] = await twoLineOrder(rig, 'LK-HC-103', 'TXR-3');
      const [amx] = (await twoLineOrder(rig, 'LK-HC-104', 'TXR-4')).slice(1);
      const batch = bundleOf([qty(ors, 200), qty(amx, 70)], 'batch');
      const first = await rig.fhir('POST', '/fhir', batch);
      t.same(statuses(first), ['200 OK', '200 OK'], 'both applied');

      const before = rig.lmis.sb.state.requestCount();
      const jobs = await jobCount(rig);
      const again = await rig.fhir('POST', '/fhir', bundleOf([qty(ors, 200), qty(amx, 75)], 'batch'));
      t.equal(again.status, 200);
      t.same(statuses(again), ['200 OK', '412'], 'the entry in place 200, the one that differs 412');
      t.equal(etags(again)[0], etags(first)[0]);
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal(await jobCount(rig), jobs, 'no new outbox job');
    },
  );

  t.test(
    `an OpenHIM rerun of an applied transaction: answered in place, no update owed (${engine.name})`,
    { skip: engine.skip },
    async (t: Test) => {
      const { openhim, rig } = await startRigThroughOpenHim(t, engine);
      const [ors, amx] = await twoLineOrder(rig, 'LK-HC-105', 'TXR-5');
      const change = bundleOf([qty(ors, 250), qty(amx, 30)]);
      const through = async (tx: string) => {
        const res = await rig.fhir('POST', '/fhir', change, { 'x-openhim-transactionid': tx });
        return { status: res.body?.response?.status, body: JSON.parse(res.body?.response?.body ?? '{}') };
      };
      const first = await through('65f0c0ffee00000000e0b001');
      t.equal(first.status, 200, why(first));
      t.same(statuses(first), ['200 OK', '200 OK']);

      const before = rig.lmis.sb.state.requestCount();
      const jobs = await jobCount(rig);
      const rerun = await through('65f0c0ffee00000000e0b002');
      t.equal(rerun.status, 200, why(rerun));
      t.same(statuses(rerun), ['200 OK', '200 OK'], 'each entry answered as it is');
      t.same(etags(rerun), etags(first));
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal(await jobCount(rig), jobs, 'no new outbox job');
      await new Promise((r) => setTimeout(r, 500)); // past an update sweep
      t.notOk(
        openhim.state.transactionUpdates.has('65f0c0ffee00000000e0b002'),
        'answered at once: no transaction update owed',
      );
    },
  );
}
