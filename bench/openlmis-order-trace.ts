/**
 * npx tsx bench/openlmis-order-trace.ts — where one OpenLMIS order's time goes, as counts that do
 * not drift with the machine's load (issue 18): the upstream calls, the store commits and fsyncs,
 * and how many of those fsyncs the order waited for with no upstream call in flight at any moment
 * of them (serial fsync waits, which add to its latency; storeWaits). Orders run one at a time through the real mediator
 * (in-process, SQLite store) against the OpenLMIS sandbox; the last TRACE_ORDERS (default 5)
 * after a warm-up order are traced and the timeline of the last one is printed.
 */
import diagnostics from 'node:diagnostics_channel';
import { GroupCommit } from '../src/store/group-commit.js';
import { orderLine, startRig, transactionOf, why } from '../test/support/openlmis-e2e.js';

const ORDERS = Number(process.env.TRACE_ORDERS ?? 5);
const PRODUCTS = ['EM-AMX250', 'EM-ORS', 'EM-ZNC20'];

interface Event {
  at: number;
  kind: 'call' | 'answer' | 'commit' | 'synced';
  what: string;
}

let events: Event[] = [];
const now = () => performance.now();

/** The operations a batch carried: those settled at its sync, and those settled at its COMMIT (written ahead). */
const opsOf = (batch: { waiters: unknown[]; committed: unknown[] }) => batch.waiters.length + batch.committed.length;

/** Store side: a batch committed, and the fsync that made it durable. */
function traceStore(): void {
  const proto = GroupCommit.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const finish = proto.finish;
  proto.finish = function (this: GroupCommit, ...args: unknown[]) {
    events.push({
      at: now(),
      kind: 'commit',
      what: `${opsOf(args[0] as { waiters: unknown[]; committed: unknown[] })} op(s)`,
    });
    return finish.apply(this, args);
  };
  const synced = proto.synced;
  proto.synced = function (this: GroupCommit, ...args: unknown[]) {
    events.push({ at: now(), kind: 'synced', what: '' });
    return synced.apply(this, args);
  };
}

/** Upstream side: undici's diagnostics channels, only for requests to the sandbox. */
function traceUpstream(origin: string): void {
  const label = new WeakMap<object, string>();
  diagnostics.channel('undici:request:create').subscribe((m) => {
    const { request } = m as { request: { origin: string; method: string; path: string } };
    if (!String(request.origin).startsWith(origin)) return;
    const what = `${request.method} ${request.path.split('?')[0].replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}`;
    label.set(request, what);
    events.push({ at: now(), kind: 'call', what });
  });
  diagnostics.channel('undici:request:trailers').subscribe((m) => {
    const { request } = m as { request: object };
    const what = label.get(request);
    if (what) events.push({ at: now(), kind: 'answer', what });
  });
}

/**
 * The order's fsyncs and how many of them it waited for serially: a commit is pending until the
 * fsync that covers it ends (one fsync at a time; it covers the commits made before it started).
 * An fsync during which an upstream call of the order was in flight at any moment overlapped it
 * (the accept's, since its delivery's first reads run during it); one with none was waited for
 * in series. `ms`: time with an fsync pending and no upstream call in flight (that includes the
 * mediator's own CPU between a commit and the next call, so it drifts with load; the count does not).
 */
function storeWaits(trace: Event[]): { serialSyncs: number; ms: number } {
  let inFlight = 0;
  let syncing = 0;
  let unsynced = 0;
  let overlapped = false;
  let waitingSince: number | undefined;
  let serialSyncs = 0;
  let ms = 0;
  for (const e of trace) {
    if (e.kind === 'call') {
      inFlight++;
      overlapped = true;
    } else if (e.kind === 'answer') inFlight--;
    else if (e.kind === 'commit') {
      if (syncing === 0) {
        syncing = 1;
        overlapped = inFlight > 0;
      } else unsynced++;
    } else {
      if (!overlapped) serialSyncs++;
      syncing = unsynced;
      unsynced = 0;
      overlapped = inFlight > 0;
    }
    const waiting = inFlight === 0 && syncing + unsynced > 0;
    if (waiting && waitingSince === undefined) waitingSince = e.at;
    else if (!waiting && waitingSince !== undefined) {
      ms += e.at - waitingSince;
      waitingSince = undefined;
    }
  }
  return { serialSyncs, ms };
}

async function main() {
  traceStore();
  const rig = await startRig({ LOG_LEVEL: 'info' });
  traceUpstream(rig.lmis.sb.url);
  try {
    const facilities = Object.keys(rig.lmis.seed.facilities).filter((c) => c.startsWith('LK-HP-'));
    const order = (n: number) =>
      transactionOf(
        PRODUCTS.map((productCode) =>
          orderLine({
            order: `TRACE-${n}`,
            facilityId: rig.lmis.seed.facilities[facilities[n]],
            program: 'EM01',
            productCode,
            qty: 120,
          }),
        ),
      );
    const warm = await rig.fhir('POST', '/fhir', order(0));
    if (warm.status !== 200) throw new Error(why(warm));
    const rows: Record<string, number>[] = [];
    let last: Event[] = [];
    for (let n = 1; n <= ORDERS; n++) {
      events = [];
      const t0 = now();
      const res = await rig.fhir('POST', '/fhir', order(n));
      const total = now() - t0;
      if (res.body.entry?.[0]?.response?.status !== '201 Created') throw new Error(why(res));
      const calls = events.filter((e) => e.kind === 'call').length;
      const commits = events.filter((e) => e.kind === 'commit').length;
      const syncs = events.filter((e) => e.kind === 'synced').length;
      const waits = storeWaits(events);
      rows.push({
        ms: Number(total.toFixed(1)),
        calls,
        commits,
        syncs,
        serialSyncs: waits.serialSyncs,
        storeOnlyMs: Number(waits.ms.toFixed(1)),
      });
      last = events.map((e) => ({ ...e, at: e.at - t0 }));
    }
    console.log('timeline of the last order (ms from the POST):');
    for (const e of last) console.log(`  ${e.at.toFixed(1).padStart(7)}  ${e.kind.padEnd(7)} ${e.what}`);
    console.table(rows);
  } finally {
    await rig.close();
  }
}

await main();
