/**
 * DHIS2 RTS requisitions on the FHIR surface (issue 11): the real mediator process, configured
 * only with the DHIS2 sandbox and its requisition program, serves the requisitions facilities
 * raised in DHIS2 as SupplyRequests, read only. Searched by facility, by date, by _lastUpdated,
 * paged with next links, read by id, each bounded: the DHIS2 calls are counted per request. A
 * search nothing bounds, and every write, is refused precisely and reaches no system. Run against
 * the sandbox as 2.39 (`ouMode`, `event=`) and 2.43 (`orgUnitMode`, `events=`).
 */
import t, { type Test } from 'tap';
import {
  REQUISITION,
  REQUISITION_DATA_ELEMENTS,
  SEED_API_TOKEN,
  startDhis2Sandbox,
  type Dhis2Sandbox,
} from '../../../../sandbox/dhis2/index.js';
import { answerOf, startMediatorProcess } from '../../../support/mediator-process.js';

const ORS = '10860012300072';

async function mediatorFor(t: Test, sb: Dhis2Sandbox) {
  const mediator = await startMediatorProcess('dhis2-rts-e2e', {
    DHIS2_BASE_URL: sb.url,
    DHIS2_API_TOKEN: SEED_API_TOKEN,
    DHIS2_REQUISITION_PROGRAM: REQUISITION.program,
    DHIS2_REQUISITION_STAGE: REQUISITION.stage,
    DHIS2_REQUISITION_DATA_ELEMENTS: REQUISITION_DATA_ELEMENTS,
  });
  t.teardown(() => mediator.close());
  // a next link is absolute: asked again of the same process
  const fhir = async (method: string, url: string, body?: unknown) => {
    const { pathname, search } = new URL(url, mediator.base);
    return answerOf(await mediator.fhir(method, pathname + search, body));
  };
  return { fhir, base: mediator.base };
}

/** Requisitions as RTS on a facility's device raises them: events of the program, posted to DHIS2. */
async function raise(
  sb: Dhis2Sandbox,
  events: { event: string; orgUnit: string; status: string; at: string; q: Record<string, number> }[],
) {
  const res = await fetch(`${sb.url}/api/tracker?async=false&atomicMode=OBJECT`, {
    method: 'POST',
    headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      events: events.map((e) => ({
        event: e.event,
        program: REQUISITION.program,
        programStage: REQUISITION.stage,
        orgUnit: e.orgUnit,
        occurredAt: e.at,
        status: e.status,
        dataValues: Object.entries(e.q).map(([code, n]) => ({
          dataElement: REQUISITION.quantities[code],
          value: String(n),
        })),
      })),
    }),
  });
  if (res.status !== 200) throw new Error(`raising requisitions: ${res.status} ${await res.text()}`);
}

/** What one FHIR request cost DHIS2: every call, the event exports among them, and their queries. */
async function costOf<T>(sb: Dhis2Sandbox, action: () => Promise<T>) {
  const all = () => [...sb.state.hits.values()].reduce((a, b) => a + b, 0);
  const before = {
    all: all(),
    events: sb.state.count('GET', '/api/tracker/events'),
    queries: sb.tracker.eventQueries.length,
  };
  const value = await action();
  return {
    value,
    calls: all() - before.all,
    eventPages: sb.state.count('GET', '/api/tracker/events') - before.events,
    queries: sb.tracker.eventQueries.slice(before.queries),
  };
}

const lines = (bundle: any) => (bundle.entry ?? []).map((e: any) => e.resource);
const numbers = (bundle: any) => [...new Set(lines(bundle).map((r: any) => r.identifier[0].value))].sort();

for (const version of ['2.39.1', '2.43.0']) {
  t.test(`DHIS2 ${version}: RTS requisitions read back as SupplyRequests, bounded; writes refused`, async (t) => {
    const sb = await startDhis2Sandbox({ version });
    t.teardown(sb.close);
    const ous = sb.state.summary().orgUnits;
    const { fhir } = await mediatorFor(t, sb);
    const v41 = version !== '2.39.1';

    await raise(sb, [
      {
        event: 'RtsReqJun01',
        orgUnit: ous['LK-HC-101'],
        status: 'COMPLETED',
        at: '2024-06-03T08:00:00.000',
        q: { EM_ORS: 150, EM_ZNC20: 40 },
      },
      {
        event: 'RtsReqJun02',
        orgUnit: ous['LK-HC-101'],
        status: 'COMPLETED',
        at: '2024-06-17T08:00:00.000',
        q: { EM_ORS: 90, FP_DMPA: 20 },
      },
      {
        event: 'RtsReqJul01',
        orgUnit: ous['LK-HC-101'],
        status: 'ACTIVE',
        at: '2024-07-01T08:00:00.000',
        q: { FP_CNDM: 500 },
      },
      {
        event: 'RtsReqJul02',
        orgUnit: ous['LK-HC-102'],
        status: 'COMPLETED',
        at: '2024-07-02T08:00:00.000',
        q: { EM_ORS: 30 },
      },
    ]);
    const meta = await fhir('GET', '/fhir/metadata');
    const sr = meta.body.rest[0].resource.find((r: any) => r.type === 'SupplyRequest');
    t.same(
      sr.interaction.map((i: any) => i.code),
      ['read', 'vread', 'search-type'],
      'with only DHIS2 serving orders, SupplyRequest is offered read only',
    );

    // by facility: the org unit and one page of its events
    const byFacility = await costOf(sb, () => fhir('GET', `/fhir/SupplyRequest?subject=Location/${ous['LK-HC-101']}`));
    t.equal(byFacility.value.status, 200, JSON.stringify(byFacility.value.body).slice(0, 300));
    t.same(
      numbers(byFacility.value.body),
      ['RtsReqJul01', 'RtsReqJun01', 'RtsReqJun02'],
      "the facility's requisitions",
    );
    t.equal(lines(byFacility.value.body).length, 5, 'one SupplyRequest per line');
    const ors = lines(byFacility.value.body).find(
      (r: any) => r.identifier[0].value === 'RtsReqJun01' && r.itemCodeableConcept.coding[0].code === ORS,
    );
    t.match(ors, {
      status: 'active',
      quantity: { value: 150 },
      authoredOn: '2024-06-03T08:00:00.000Z',
      deliverTo: { reference: `Location/${ous['LK-HC-101']}` },
    });
    t.match(ors.id, /^RtsReqJun01-[0-9a-f]{32}$/, 'the line id carries the event UID');
    t.equal(
      lines(byFacility.value.body).find((r: any) => r.identifier[0].value === 'RtsReqJul01').status,
      'draft',
      'an event still open is a draft',
    );
    t.equal(byFacility.eventPages, 1, 'one events page');
    t.ok(byFacility.calls <= 3, `${byFacility.calls} DHIS2 calls (events, org unit, at most the version once)`);
    t.match(byFacility.queries[0], {
      program: REQUISITION.program,
      orgUnit: ous['LK-HC-101'],
      ...(v41 ? { orgUnitMode: 'SELECTED' } : { ouMode: 'SELECTED' }),
    });

    // by date across facilities: bounded by the dates
    const july = await costOf(sb, () => fhir('GET', '/fhir/SupplyRequest?date=ge2024-07-01&date=lt2024-08-01'));
    t.same(numbers(july.value.body), ['RtsReqJul01', 'RtsReqJul02'], 'July, every facility');
    t.equal(july.eventPages, 1);
    t.match(july.queries[0], { occurredAfter: '2024-07-01T00:00:00.000' });
    t.notOk('orgUnit' in july.queries[0], 'no facility named: none asked');

    // by order number
    const one = await costOf(sb, () => fhir('GET', '/fhir/SupplyRequest?identifier=RtsReqJun02'));
    t.same(numbers(one.value.body), ['RtsReqJun02']);
    t.match(one.queries[0], v41 ? { events: 'RtsReqJun02' } : { event: 'RtsReqJun02' });

    // read by id: the event itself, no search
    const read = await costOf(sb, () => fhir('GET', `/fhir/SupplyRequest/${ors.id}`));
    t.equal(read.value.status, 200);
    t.equal(read.value.body.id, ors.id);
    t.equal(read.value.body.quantity.value, 150);
    t.equal(read.eventPages, 0, 'a read searches no events');
    t.equal(sb.state.count('GET', '/api/tracker/events/RtsReqJun01'), 1, 'it reads its one event');
    t.ok(read.calls <= 2, `${read.calls} DHIS2 calls: the event and its org unit`);
    const gone = await fhir('GET', `/fhir/SupplyRequest/NoSuchEvnt1-${'0'.repeat(32)}`);
    t.equal(gone.status, 404);

    // _lastUpdated: a facility edits one requisition; an incremental sync finds only it
    const mark = new Date(Date.now() - 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await raise(sb, [
      {
        event: 'RtsReqJun02',
        orgUnit: ous['LK-HC-101'],
        status: 'COMPLETED',
        at: '2024-06-17T08:00:00.000',
        q: { EM_ORS: 95, FP_DMPA: 20 },
      },
    ]);
    const changed = await costOf(sb, () =>
      fhir('GET', `/fhir/SupplyRequest?_lastUpdated=gt${encodeURIComponent(mark)}`),
    );
    t.same(numbers(changed.value.body), ['RtsReqJun02'], 'only the edited requisition');
    t.equal(
      lines(changed.value.body).find((r: any) => r.itemCodeableConcept.coding[0].code === ORS).quantity.value,
      95,
      'as it now is',
    );
    // gt: the next millisecond on (FHIR instants are to the millisecond), as DHIS2 writes its times
    t.match(changed.queries[0], { updatedAfter: new Date(Date.parse(mark) + 1).toISOString().replace(/Z$/, '') });
    t.equal(changed.eventPages, 1);

    // paging: _count lines a page, one DHIS2 page each, followed by next links
    const seen: string[] = [];
    let url: string | undefined = `/fhir/SupplyRequest?subject=Location/${ous['LK-HC-101']}&_count=2`;
    let pages = 0;
    while (url && pages < 10) {
      const page = await costOf(sb, () => fhir('GET', url!));
      pages++;
      t.equal(page.value.status, 200);
      t.ok(lines(page.value.body).length <= 2, `page ${pages}: no more than _count`);
      t.equal(page.eventPages, 1, `page ${pages}: one DHIS2 page`);
      seen.push(...lines(page.value.body).map((r: any) => r.id));
      url = page.value.body.link.find((l: any) => l.relation === 'next')?.url;
    }
    t.equal(seen.length, 5, 'every line once over the pages');
    t.equal(new Set(seen).size, 5);
    t.ok(pages >= 3, `${pages} pages of 2`);

    t.comment(
      `DHIS2 calls per request: facility search ${byFacility.calls}, date search ${july.calls}, order number ${one.calls}, read by id ${read.calls}, _lastUpdated ${changed.calls}; ${pages} pages of 2 lines`,
    );
    // a search nothing bounds: refused, DHIS2 not asked
    const national = await costOf(sb, () => fhir('GET', '/fhir/SupplyRequest?status=active'));
    t.equal(national.value.status, 422);
    t.match(national.value.body.issue[0], { code: 'too-costly', diagnostics: /add subject .*date=ge/ });
    t.equal(national.calls, 0, 'no DHIS2 call');

    // writes: refused naming DHIS2 RTS, nothing written anywhere
    const posts = sb.state.count('POST', '/api/tracker');
    const created = await fhir('POST', '/fhir/SupplyRequest', {
      ...ors,
      id: undefined,
      meta: undefined,
      identifier: [{ ...ors.identifier[0], system: 'https://app.example.org/orders', value: 'APP-1' }],
    });
    t.equal(created.status, 422, JSON.stringify(created.body).slice(0, 300));
    t.match(created.body.issue[0], {
      code: 'business-rule',
      diagnostics: /dhis2 serves them read only \(DHIS2 RTS requisitions are raised by the facilities in DHIS2/,
    });
    const amended = await fhir('PUT', `/fhir/SupplyRequest/${ors.id}`, {
      ...ors,
      meta: undefined,
      quantity: { ...ors.quantity, value: 1 },
    });
    t.equal(amended.status, 422);
    t.match(
      amended.body.issue[0].diagnostics,
      /^dhis2 holds this, and the mediator only reads orders there: DHIS2 RTS requisitions/,
    );
    const cancelled = await fhir('DELETE', `/fhir/SupplyRequest/${ors.id}`);
    t.equal(cancelled.status, 422);
    t.equal(sb.state.count('POST', '/api/tracker'), posts, 'nothing posted to DHIS2');
    const after = await fhir('GET', `/fhir/SupplyRequest/${ors.id}`);
    t.equal(after.body.quantity.value, 150, 'the requisition unchanged');
  });
}
