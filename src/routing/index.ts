import type { BundleEntries, FhirServices, Flow, PlannedWrite, WriteOutcome } from '../fhir/services.js';
import type { Outbox } from '../outbox/outbox.js';
import { KeyTakenError } from '../outbox/errors.js';
import type { Store, TransactionEntries } from '../store/types.js';
import type { Connector } from './ports.js';
import { DELIVERIES, FACILITIES, ORDERS, STOCK, type FlowSpec } from './flows.js';
import { RoutedFlow } from './routed-flow.js';
import { acceptAsHeld } from './same-write.js';
import { batchAnswersKept } from './batch-answers-gate.js';
import { activeMapping } from '../config/mappings.js';
import { ROUTING_FILE, type RoutingRules, type Targets } from './rules.js';
import { checkOnly, precheckAll, settleTransaction } from './transaction.js';
import { answeredAtOnce, answeredWithin, checkedOrQueued, writeBudgetOf } from './checks-deadline.js';
import { exclusivelyForClient } from './write-locks.js';

export interface RoutingDeps {
  connectors: Connector[];
  outbox: Outbox;
  store: Store;
  /** fhir-mappings/routing.json by default (from mappings.dir, checked at start-up). */
  routing?: RoutingRules;
  /**
   * Whether a Bundle's entry map (v24) is recorded: only something that sends OpenHIM transaction
   * updates ever reads it, so without an OpenHIM API configured (main.ts) it is never written.
   * Absent: recorded.
   */
  recordsEntries?: () => boolean;
}

/**
 * Gives the jobs still waiting of the flows delivered in order the order key their write has today
 * (legacy-order-keys.ts): at start, before the first write is accepted. The number re-keyed.
 */
export async function keyWaitingJobs(deps: RoutingDeps): Promise<number> {
  const routing: RoutingRules = deps.routing ?? activeMapping<RoutingRules>(ROUTING_FILE);
  let keyed = 0;
  const specs = { facilities: FACILITIES, orders: ORDERS, deliveries: DELIVERIES, stock: STOCK };
  for (const [name, spec] of Object.entries(specs) as [Flow, FlowSpec<unknown>][]) {
    const flow = new RoutedFlow(spec, deps.connectors, deps.outbox, deps.store, routing.flows[name]);
    keyed += await flow.keyWaitingJobs();
  }
  return keyed;
}

/**
 * The hub (DESIGN §3): the FHIR services over the configured connectors. A flow no connector
 * serves is left out, so the edge answers with the OperationOutcome naming what to configure.
 * Registers each flow's outbox delivery handler as a side effect.
 */
export function createRoutingServices(deps: RoutingDeps): FhirServices {
  /* eslint-disable @typescript-eslint/no-explicit-any -- a table of flows, each with its own domain type */
  const specs = { facilities: FACILITIES, orders: ORDERS, deliveries: DELIVERIES, stock: STOCK } as Record<
    Flow,
    FlowSpec<any>
  >;
  const flows = {} as Record<Flow, RoutedFlow<any>>;
  const routing: RoutingRules = deps.routing ?? activeMapping<RoutingRules>(ROUTING_FILE);
  const recordsEntries = deps.recordsEntries ?? (() => true);
  const services = {} as FhirServices;
  for (const [name, spec] of Object.entries(specs) as [Flow, FlowSpec<any>][]) {
    flows[name] = new RoutedFlow(spec, deps.connectors, deps.outbox, deps.store, routing.flows[name], recordsEntries);
    /* eslint-enable @typescript-eslint/no-explicit-any */
    if (!deps.connectors.some((c) => spec.read(c) || spec.search(c) || spec.write(c))) continue;
    flows[name].registerHandlers();
    services[name] = flows[name];
  }
  services.writeAll = async (sent: PlannedWrite[], bundle?: BundleEntries): Promise<WriteOutcome<unknown>[]> => {
    // the store lookups before the writes are recorded only feed them, and the record's own sync
    // covers what they saw: they need not wait for the disk (Store.lookupsAhead), as a single write's
    const lookups = deps.store.lookupsAhead();
    const budget = writeBudgetOf(deps.outbox);
    // each entry's targets are looked up once, for its precheck and for its outbox jobs
    const targets = new Map<PlannedWrite, Targets>();
    let revising: Promise<PlannedWrite[]> | undefined;
    const checked = async () => {
      // an entry changing what was written is its next revision (orders: amendments, cancellations)
      revising = Promise.all(
        sent.map(async (w) => ({
          ...w,
          value: await flows[w.flow].revise(w.value, w.context, lookups).catch((err: unknown) => {
            throw w.posted ? w.posted(err) : err;
          }),
        })),
      );
      const writes = await revising;
      // every entry checked before any is recorded: one bad entry leaves upstream and store untouched
      await precheckAll(writes, async (w, earlier) => {
        const known = await flows[w.flow].targets(w.value, lookups);
        targets.set(w, known);
        await flows[w.flow].precheck(w.value, earlier, known);
      });
      return writes;
    };
    const recordAll = async () => {
      // one write whose system is too slow to check it in time is queued, as one whose system is
      // down (precheckAll); a transaction of several is refused whole (checks-deadline.ts)
      const since = sent[0]?.context.checksSince;
      const { value: writes, unchecked } = await checkedOrQueued(
        budget,
        checked,
        () => revising?.then((revised) => (revised.length === 1 ? revised : undefined)),
        since,
      );
      const requests = await Promise.all(
        writes.map((w) => flows[w.flow].acceptRequests(w.value, w.context, targets.get(w))),
      );
      const firsts = requests.map((_, i) => requests.slice(0, i).reduce((n, r) => n + r.length, 0));
      // recorded together, all or none; each write answers with its system of record's (first) job
      const entries = bundle && recordsEntries() ? entriesOfBundle(bundle, writes, firsts) : undefined;
      const owner = new Map(requests.flatMap((r, i) => r.map((req) => [req.idempotencyKey, flows[writes[i].flow]])));
      // each job's end settles at its COMMIT (endAhead): the read-backs below overlap its sync
      const { outcomes, sameAs } = await acceptAsHeld(
        (reqs) =>
          deps.outbox.acceptWrites(
            unchecked ? answeredAtOnce(reqs) : answeredWithin(reqs, budget?.deliveryWait(since)),
            { entries, endAhead: true },
          ),
        requests.flat(),
        (id) => deps.store.getJob(id),
        (req) => owner.get(req.idempotencyKey)?.sameWrite(),
      ).catch((err: unknown) => {
        if (!(err instanceof KeyTakenError)) throw err;
        const i = requests.findIndex((r) => r.some((req) => req.idempotencyKey === err.idempotencyKey));
        throw i < 0 ? err : flows[writes[i].flow].lostRace(err, writes[i].value, writes[i].context);
      });
      return { writes, firsts, outcomes, sameAs };
    };
    const { writes, firsts, outcomes, sameAs } = await recordAll().catch(async (err: unknown) => {
      // a refusal may rest on what those lookups saw: it is answered once that is on disk
      await deps.store.durable();
      throw err;
    });
    const ahead = deps.store.writesAhead();
    // taken now, after the ends' COMMITs: their sync, not that of what commits later
    const onDisk = ahead.onDisk();
    onDisk.catch(() => undefined); // awaited below; a failure is not "unhandled" meanwhile
    try {
      // a write found the same as one held is answered as that write (FlowSpec.sameWriteOf)
      const values = writes.map((w, i) => flows[w.flow].asWritten(w.value, outcomes[firsts[i]], sameAs.get(firsts[i])));
      const answers = settleTransaction(writes, (i) =>
        flows[writes[i].flow].toWriteOutcome(values[i], outcomes[firsts[i]]),
      );
      // the read-backs' first sightings are written ahead too (Store.writesAhead)
      return await Promise.all(answers.map((a, i) => flows[writes[i].flow].asStored(a, ahead)));
    } finally {
      // nobody is answered before the writes' ends are on disk
      await onDisk;
    }
  };
  services.checkAll = (sent: PlannedWrite[]) =>
    checkOnly(
      sent,
      (w) => flows[w.flow].revise(w.value, w.context),
      (w, earlier) => flows[w.flow].precheck(w.value, earlier),
    );
  services.exclusively = (names, fn) => exclusivelyForClient(deps.store, names, fn);
  services.checked = (reads, since) => writeBudgetOf(deps.outbox)?.checked(reads, since) ?? reads();
  services.answered = (reads, since) => writeBudgetOf(deps.outbox)?.answered(reads, since) ?? reads();
  services.recordEntries = async (entries) => {
    if (recordsEntries() && (await batchAnswersKept(deps.store, entries)))
      await deps.store.recordTransactionEntries(entries);
  };
  return services;
}

/**
 * A Bundle's entries as its OpenHIM update lists them: each written entry decided by its write's
 * system of record job (`firsts[i]`, the first of write i's requests), the others as answered.
 * Secondary fan-out jobs are no entry: they count toward the transaction's status only.
 */
function entriesOfBundle(bundle: BundleEntries, writes: PlannedWrite[], firsts: number[]): TransactionEntries {
  const written = writes.flatMap((w, i) => (w.entries ?? []).map((e) => ({ ...e, job: firsts[i] })));
  return {
    transactionId: bundle.transactionId,
    count: bundle.count,
    entries: [...bundle.answered, ...written].sort((a, b) => a.entry - b.entry),
  };
}
