/**
 * npx tsx bench/openlmis-envelope.ts — what the OpenHIM envelope of one OpenLMIS order costs (issue
 * 18), on the order's real recorded calls: BENCH_ORDERS (6) orders, after one that logs in and
 * fills the caches, are sent through the mediator and the OpenLMIS sandbox in this process (the order of bench:openlmis: a transaction Bundle of
 * three SupplyRequest lines), every upstream call they record is kept with the Bundle's answer,
 * and the servers are closed before anything is timed. An order records five calls, three of them
 * with a requisition of ~18 KB (the initiate's answer, the PUT's request and its answer).
 * Then, interleaved over BENCH_ROUNDS (7) rounds of BENCH_N (2,000) envelopes, the orders taken in
 * turn (more distinct bodies than the envelope's memo keeps, as live orders are), CPU per envelope:
 *   - the envelope's text as the plugin makes it (openHimEnvelopeText), the bench mediator's
 *     secrets configured and the OpenLMIS access token learnt;
 *   - its parts, as openHimEnvelopeText makes them for a body it does not remember: the skeleton
 *     alone (every body left out, stringified), each recorded body masked (maskBodyText), the
 *     redactor over it, the body JSON-escaped, and the redactor over the escaped body (the envelope
 *     runs it twice: before a cut, so no half secret is left, and over the piece it puts in).
 * The parts do not add up to the envelope exactly: it also assembles the text and redacts the
 * skeleton's stretches.
 * BENCH_BASE_DIR=tree (a `git archive` of the tree before a change, node_modules linked) adds that
 * tree's openHimEnvelopeText on the same calls, with its ratio to this tree's, min/median/max.
 */
import path from 'node:path';
import { unredactedEnvelope, type BodyFields, type EnvelopeInput, bodyToText } from '../src/openhim/envelope.js';
import { openHimEnvelopeText } from '../src/openhim/envelope-text.js';
import { maskBodyText } from '../src/openhim/masking.js';
import { observeUpstreamCalls, type UpstreamCall } from '../src/platform/call-recording.js';
import { Redactor } from '../src/platform/redaction.js';
import { openLmisEnv, orderLine, startRig, transactionOf, why } from '../test/support/openlmis-e2e.js';
import { BENCH_PASSWORD } from './openlmis-processes.js';

type EnvelopeText = (input: EnvelopeInput) => string;
type RedactorClass = new () => Redactor;
const ORDERS = Number(process.env.BENCH_ORDERS ?? 6);
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const N = Number(process.env.BENCH_N ?? 2_000);
const PRODUCTS = ['EM-AMX250', 'EM-ORS', 'EM-ZNC20'];
const { OPENLMIS_PASSWORD, OPENLMIS_CLIENT_SECRET } = openLmisEnv('http://openlmis');
const SECRETS = [BENCH_PASSWORD, OPENLMIS_PASSWORD, OPENLMIS_CLIENT_SECRET];
const ACCESS_TOKEN = '6f1c0a3e-2b7d-4c1e-9a55-0d3b2f4e8a71';

interface RecordedOrder {
  answer: string;
  calls: UpstreamCall[];
}

/** The calls as the envelope reads them: headers resolved once (the recorder masks them lazily). */
function kept(call: UpstreamCall): UpstreamCall {
  return { ...call, ...(call.response ? { response: { ...call.response } } : {}) };
}

async function recordOrders(): Promise<RecordedOrder[]> {
  const rig = await startRig();
  let calls: UpstreamCall[] = [];
  const stop = observeUpstreamCalls((call) => calls.push(kept(call)));
  try {
    const facilities = Object.keys(rig.lmis.seed.facilities).filter((c) => c.startsWith('LK-HP-'));
    const orders: RecordedOrder[] = [];
    // order 0 logs in and fills the reference-data caches: its calls are not an order's
    for (let n = 0; n <= ORDERS; n++) {
      const lines = PRODUCTS.map((productCode) =>
        orderLine({
          order: `ENVELOPE-${n}`,
          facilityId: rig.lmis.seed.facilities[facilities[n % facilities.length]],
          program: 'EM01',
          productCode,
          qty: 120,
        }),
      );
      calls = [];
      const res = await rig.fhir('POST', '/fhir', transactionOf(lines));
      if (res.body.entry?.[0]?.response?.status !== '201 Created') throw new Error(why(res));
      if (n > 0) orders.push({ answer: JSON.stringify(res.body), calls });
    }
    return orders;
  } finally {
    stop();
    await rig.close();
  }
}

/** A redactor as the bench mediator's: its secrets, and the access token its OpenLMIS login got. */
function benchRedactor(Class: RedactorClass): Redactor {
  const redactor = new Class();
  for (const secret of SECRETS) redactor.learn(secret);
  redactor.learnEphemeral(ACCESS_TOKEN);
  return redactor;
}

const inputOf = (order: RecordedOrder, redactor: Redactor): EnvelopeInput => ({
  urn: 'urn:mediator:fhir-supply-mediator',
  response: { status: 200, headers: { 'content-type': 'application/fhir+json; charset=utf-8' }, body: order.answer },
  orchestrations: order.calls,
  secretValues: SECRETS,
  redactor,
});

const bodiesOf = (order: RecordedOrder) =>
  order.calls.flatMap((c) => [bodyToText(c.requestBody), bodyToText(c.response?.body)]).filter((b) => b !== '');
const NO_BODIES: BodyFields = { response: () => '', orchestration: () => '' };

async function sides(orders: RecordedOrder[]): Promise<Record<string, (order: RecordedOrder) => number>> {
  const redactor = benchRedactor(Redactor);
  const escaped = orders.map((o) => bodiesOf(o).map((b) => JSON.stringify(b)));
  const out: Record<string, (order: RecordedOrder) => number> = {
    'envelope (this tree)': (o) => openHimEnvelopeText(inputOf(o, redactor)).length,
    'skeleton, no bodies': (o) => JSON.stringify(unredactedEnvelope(inputOf(o, redactor), NO_BODIES)).length,
    'bodies JSON-escaped': (o) => bodiesOf(o).reduce((n, b) => n + JSON.stringify(b).length, 0),
    'bodies masked': (o) => bodiesOf(o).reduce((n, b) => n + maskBodyText(b, 'application/json', SECRETS).length, 0),
    'bodies redacted': (o) => bodiesOf(o).reduce((n, b) => n + redactor.redact(b).length, 0),
    'escaped bodies redacted': (o) => escaped[orders.indexOf(o)].reduce((n, b) => n + redactor.redact(b).length, 0),
  };
  const base = process.env.BENCH_BASE_DIR;
  if (base) {
    const old = (await import(path.resolve(base, 'src/openhim/envelope-text.ts'))) as {
      openHimEnvelopeText: EnvelopeText;
    };
    const oldRedaction = (await import(path.resolve(base, 'src/platform/redaction.ts'))) as {
      Redactor: RedactorClass;
    };
    const oldRedactor = benchRedactor(oldRedaction.Redactor);
    out['envelope (base tree)'] = (o) => old.openHimEnvelopeText(inputOf(o, oldRedactor)).length;
  }
  return out;
}

let sink = 0;
function microsPerCall(run: (order: RecordedOrder) => number, orders: RecordedOrder[]): number {
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) sink += run(orders[i % orders.length]);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

const orders = await recordOrders();
const cases = await sides(orders);
for (const run of Object.values(cases)) microsPerCall(run, orders); // warm-up: V8 tiers every side up
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < rounds; r++)
  for (const [name, run] of Object.entries(cases)) samples[name].push(microsPerCall(run, orders));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sizes = bodiesOf(orders[0]).map((b) => b.length);
console.log(
  `${orders.length} orders, ${orders[0].calls.length} calls each, bodies of ${sizes.join(', ')} characters; ` +
    `${N} envelopes per round, ${rounds} rounds (sink ${sink > 0})`,
);
for (const [name, xs] of Object.entries(samples)) {
  const reference = samples['envelope (this tree)'];
  const ratios = xs.map((x, i) => x / reference[i]).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(26)} ${median(xs).toFixed(1)} µs CPU per order; ÷ envelope (this tree) ` +
      `${median(ratios).toFixed(3)}× (${ratios[0].toFixed(3)}-${ratios[ratios.length - 1].toFixed(3)}×)`,
  );
}
