/**
 * If-Match is a promise: a PUT with If-Match that succeeds replaced exactly the version it named.
 * Through the real mediator, the OpenLMIS connector and its sandbox, on both store engines:
 * many unconditional writes of one facility (PUTs, transaction entries without ifMatch) race
 * If-Match PUTs of it, and every change OpenLMIS applies is recorded in order. An If-Match write
 * answered 200 must follow, in that record, the very state whose ETag it named: no unconditional
 * write may land between its check and its write. Every write answered 2xx is applied exactly
 * once, and a 412 writes nothing.
 */
import t, { type Test } from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { startRigOn, why, type Rig } from '../../support/openlmis-e2e.js';
import { namesWritten } from '../../support/names-written.js';

type Resource = Record<string, any>;
type Answer = { status: number; body: any; headers: Headers };

/** The Location as read, without its meta: what a client sends back changed. */
function withName(read: Resource, name: string): Resource {
  const { meta: _meta, ...content } = read;
  return { ...content, name };
}

interface Sent {
  name: string;
  /** The name of the state whose ETag an If-Match write named. */
  from?: string;
  answer: Answer;
}

/** The status a write ended with: a transaction's entry, or the request's own. */
const statusOf = (a: Answer) =>
  a.status === 200 && a.body?.type === 'transaction-response'
    ? parseInt(a.body.entry[0].response.status, 10)
    : a.status;

/** A health centre of the sandbox's seed. */
const FACILITY = 'LK-HC-102';
const ROUNDS = 6;
const PER_ROUND = 3;

type Write = (name: string, headers?: Record<string, string>) => Promise<Answer>;

/** The unconditional writes of a facility, each made from the Location as read. */
const UNCONDITIONAL: Record<string, (rig: Rig, read: Resource) => Write> = {
  PUT:
    (rig, read) =>
    (name, headers = {}) =>
      rig.fhir('PUT', `/fhir/Location/${read.id}`, withName(read, name), headers),
  'transaction entry without ifMatch': (rig, read) => (name) =>
    rig.fhir('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: withName(read, name), request: { method: 'PUT', url: `Location/${read.id}` } }],
    }),
  // a create naming the facility's code: OpenLMIS finds the facility by it and updates it
  'create of its code': (rig, read) => (name) => {
    const { id: _id, ...resource } = withName(read, name);
    return rig.fhir('POST', '/fhir/Location', resource);
  },
};

/**
 * ROUNDS rounds, each from the Location as read then: PER_ROUND unconditional writes of `kind` and
 * PER_ROUND If-Match PUTs naming that read's ETag, all at once; then every answer is checked
 * against what OpenLMIS applied, in order.
 */
async function race(t: Test, rig: Rig, id: string, kind: string): Promise<void> {
  const history = namesWritten(rig.lmis.sb.state.store.facilities, id);
  const sent: Sent[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const read = await rig.fhir('GET', `/fhir/Location/${id}`);
    t.equal(read.status, 200, why(read));
    const etag = read.headers.get('etag')!;
    const from: string = read.body.name;
    const unconditional = UNCONDITIONAL[kind](rig, read.body);
    const put = UNCONDITIONAL.PUT(rig, read.body);
    const writes: Promise<Sent>[] = [];
    for (let i = 0; i < PER_ROUND; i++) {
      const plain = `Plain ${kind} ${round}.${i}`;
      const guarded = `Guarded ${kind} ${round}.${i}`;
      writes.push(
        unconditional(plain).then((answer) => ({ name: plain, answer })),
        put(guarded, { 'if-match': etag }).then((answer) => ({ name: guarded, from, answer })),
      );
    }
    sent.push(...(await Promise.all(writes)));
  }

  const applied = (name: string) => history.filter((n) => n === name).length;
  for (const s of sent) {
    const status = statusOf(s.answer);
    if (s.from === undefined) {
      t.ok(status === 200 || status === 201, `${s.name}: ${why(s.answer)}`);
      t.equal(applied(s.name), 1, `${s.name} applied once`);
      continue;
    }
    t.ok(status === 200 || status === 412, `${s.name}: 200 or 412 (${why(s.answer)})`);
    if (status === 412) {
      t.equal(applied(s.name), 0, `${s.name} answered 412 and wrote nothing`);
      continue;
    }
    t.equal(applied(s.name), 1, `${s.name} applied once`);
    const before = history[history.indexOf(s.name) - 1];
    t.equal(before, s.from, `${s.name} replaced the version it named (${s.from}), not another`);
  }
  const written = sent.filter((s) => [200, 201].includes(statusOf(s.answer)));
  t.equal(history.length, 1 + written.length, 'nothing else was written');
  const last = await rig.fhir('GET', `/fhir/Location/${id}`);
  t.equal(last.body.name, history.at(-1), 'the Location reads as the last write OpenLMIS applied');
}

for (const engine of engineCases()) {
  t.test(
    `unconditional writes racing If-Match PUTs of one facility (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const id = rig.lmis.seed.facilities[FACILITY];
      for (const kind of Object.keys(UNCONDITIONAL)) await t.test(kind, (t) => race(t, rig, id, kind));
    },
  );
}
