/**
 * Tracker writes DHIS2 refuses for their org unit: outside the mediator user's data capture org
 * units (E1000) or not assigned to the program (E1029). The sandbox answers as dhis2-core does
 * (tracker-access.ts: the words of each version, sync and async, atomicMode ALL and OBJECT); the
 * connector's RTS write says which org unit and program, why and what a DHIS2 administrator
 * changes, never the user; and once the administrator changed it, the job's retry (the same
 * journal) asks DHIS2 again and writes each event once.
 */
import t from 'tap';
import { Dhis2RejectionError } from '../../../../src/systems/dhis2/errors.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { parseConsignmentElements } from '../../../../src/systems/dhis2/consignments.js';
import { createReceiptFeed } from '../../../../src/systems/dhis2/receipts.js';
import { loadUseCase } from '../../../../src/systems/dhis2/rts.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { CONSIGNMENT, RTS, SEED_API_TOKEN, startDhis2Sandbox } from '../../../../sandbox/dhis2/index.js';
import { memoryJournal, sandboxPatch as patch, startHarness } from './harness.js';
import { outreachDistribution, stockFor } from './rts-stock.js';

const AUTH = { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' };

type Sandbox = Awaited<ReturnType<typeof startDhis2Sandbox>>;

async function postEvents(sb: Sandbox, events: unknown[], query: string) {
  const res = await fetch(`${sb.url}/api/tracker?${query}`, {
    method: 'POST',
    headers: AUTH,
    body: JSON.stringify({ events }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A consignment event (an event program) at the org unit. */
const consignment = (uid: string, orgUnit: string) => ({
  event: uid,
  program: CONSIGNMENT.program,
  programStage: CONSIGNMENT.stage,
  orgUnit,
  occurredAt: '2024-03-10T00:00:00.000',
  status: 'COMPLETED',
  dataValues: [{ dataElement: CONSIGNMENT.quantity, value: '10' }],
});

t.test(
  'sandbox: E1000 and E1029 as each version words them, ALL refuses the batch, OBJECT keeps the rest',
  async (t) => {
    // dhis2-core ValidationCode: up to 2.42.0, from 2.42.1, from 2.43.0
    const words: [string, (u: string, o: string) => string, (o: string, p: string) => string][] = [
      [
        '2.41.3',
        (u, o) => `User: \`${u}\`, has no write access to OrganisationUnit: \`${o}\`.`,
        (o, p) => `Event OrganisationUnit: \`${o}\`, and Program: \`${p}\`, don't match.`,
      ],
      [
        '2.42.1',
        (u, o) => `User: \`${u}\` has no write access to OrganisationUnit: \`${o}\`.`,
        (o, p) => `Event OrganisationUnit: \`${o}\` and Program: \`${p}\`, do not match.`,
      ],
      [
        '2.43.0',
        (u, o) => `User: \`${u}\` has no capture scope access to OrganisationUnit: \`${o}\`.`,
        (o, p) => `Event OrganisationUnit: \`${o}\` and Program: \`${p}\`, do not match.`,
      ],
    ];
    for (const [version, e1000, e1029] of words) {
      const sb = await startDhis2Sandbox({ version });
      t.teardown(sb.close);
      const ou = sb.state.summary().orgUnits;
      const mediator = sb.state.userUid(sb.state.userNamed('mediator')!);
      t.equal((await patch(sb, 'users/mediator', { orgUnits: ['LK-HC-101'] })).status, 200);
      t.equal(
        (await patch(sb, `programs/${CONSIGNMENT.program}`, { orgUnits: ['LK-HC-101', 'LK-HC-102'] })).status,
        200,
      );
      const events = [
        consignment('LkAccessEv1', ou['LK-HC-101']),
        consignment('LkAccessEv2', ou['LK-HC-102']),
        consignment('LkAccessEv3', ou['LK-HC-103']),
      ];
      const all = await postEvents(sb, events, 'async=false&atomicMode=ALL');
      t.equal(all.status, 409, `${version}: ERROR is 409`);
      t.equal(all.body.status, 'ERROR');
      t.same(
        all.body.validationReport.errorReports,
        [
          {
            message: e1000(mediator, ou['LK-HC-102']),
            errorCode: 'E1000',
            trackerType: 'EVENT',
            uid: 'LkAccessEv2',
          },
          {
            message: e1029(ou['LK-HC-103'], CONSIGNMENT.program),
            errorCode: 'E1029',
            trackerType: 'EVENT',
            uid: 'LkAccessEv3',
          },
        ],
        `${version}: one refusal per event, the first validator's only, the user by UID`,
      );
      t.notOk('bundleReport' in all.body, 'ALL: nothing committed, no bundle report');
      t.equal(sb.tracker.events.has('LkAccessEv1'), false, 'ALL: the valid event is not kept either');

      const object = await postEvents(sb, events, 'async=false&atomicMode=OBJECT');
      t.equal(object.status, 409);
      t.same(object.body.stats, { created: 1, updated: 0, deleted: 0, ignored: 2, total: 3 }, 'OBJECT: the valid one');
      t.ok(sb.tracker.events.has('LkAccessEv1'));
      t.notOk(sb.tracker.events.has('LkAccessEv2') || sb.tracker.events.has('LkAccessEv3'));
    }
  },
);

t.test('sandbox: an async import reports the refusal in its job report; the admin changes make it pass', async (t) => {
  const sb = await startDhis2Sandbox({ version: '2.41.3' });
  t.teardown(sb.close);
  const ou = sb.state.summary().orgUnits;
  await patch(sb, 'users/mediator', { orgUnits: ['LK-HC-101'] });
  const job = await postEvents(sb, [consignment('LkAccessEv4', ou['LK-HC-103'])], 'async=true');
  t.equal(job.status, 200);
  sb.tracker.finishJobs();
  const report = (await (await fetch(`${job.body.response.location}/report`, { headers: AUTH })).json()) as any;
  t.equal(report.status, 'ERROR');
  t.same(
    report.validationReport.errorReports.map((e: any) => e.errorCode),
    ['E1000'],
    'the job runs as the user that posted it',
  );
  t.same((await patch(sb, 'programs/nope', { orgUnits: ['NOPE'] })).status, 400, 'an unknown org unit is refused');
  await patch(sb, 'users/mediator', { orgUnits: ['LKL'] });
  const again = await postEvents(sb, [consignment('LkAccessEv4', ou['LK-HC-103'])], 'async=false');
  t.equal(again.status, 200, JSON.stringify(again.body.validationReport));
  t.ok(sb.tracker.events.has('LkAccessEv4'));
});

t.test('sandbox: a tracker program event updated where it is needs no capture access; moved, it does', async (t) => {
  const sb = await startDhis2Sandbox({ version: '2.42.5' });
  t.teardown(sb.close);
  const ou = sb.state.summary().orgUnits;
  const seeded = [...sb.tracker.events.values()].find((e) => e.program === RTS.program)!;
  await patch(sb, 'users/mediator', { orgUnits: ['LK-HC-102'] });
  const same = { ...seeded, dataValues: seeded.dataValues.filter((d) => d.dataElement !== RTS.stockOnHand) };
  t.equal((await postEvents(sb, [same], 'async=false')).status, 200, 'same org unit: the ownership, not the scope');
  const moved = await postEvents(sb, [{ ...same, orgUnit: ou['LK-HC-103'] }], 'async=false');
  t.same(
    moved.body.validationReport.errorReports.map((e: any) => e.errorCode),
    ['E1000'],
    'moved out of the capture scope',
  );
});

const distribution = (facility: string) => outreachDistribution(facility, -30, -5);

const CASES = [
  {
    code: 'E1000',
    refuse: (sb: Sandbox) => patch(sb, 'users/mediator', { orgUnits: ['LK-HC-102'] }),
    fix: (sb: Sandbox) => patch(sb, 'users/mediator', { orgUnits: ['LKL'] }),
    said: /no access: org unit LK-HC-101 \(\w{11}\) is outside the DHIS2 user's data capture org units; a DHIS2 administrator adds it \(or a parent\) to the mediator user's data capture org units, then retry the job \(DHIS2 E1000\)/,
  },
  {
    code: 'E1029',
    refuse: (sb: Sandbox) => patch(sb, `programs/${RTS.program}`, { orgUnits: ['LK-HC-102'] }),
    fix: (sb: Sandbox) => patch(sb, `programs/${RTS.program}`, { orgUnits: ['LK-HC-101', 'LK-HC-102'] }),
    said: /not assigned: org unit LK-HC-101 \(\w{11}\) is not assigned to program LkRtsProgrm; a DHIS2 administrator assigns the org unit to the program .*then retry the job \(DHIS2 E1029\)/,
  },
];

for (const c of CASES)
  t.test(`connector: RTS events refused with ${c.code}, then the job's retry after the fix`, async (t) => {
    const h = await startHarness(
      { version: '2.41.3' },
      { 'dhis2.rtsProgram': RTS.program, 'dhis2.stockTarget': 'rts' },
    );
    t.teardown(h.close);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
    const stock = stockFor(h);
    const before = h.sandbox.tracker.events.size;
    await c.refuse(h.sandbox);
    const journal = memoryJournal('rts-access-1');
    const err = await stock.report(distribution(hc), journal).catch((e) => e);
    t.ok(err instanceof Dhis2RejectionError, String(err));
    t.equal(err.status, 422, 'the client is told, and the outbox does not retry it');
    t.equal(err.transient, false);
    t.match(err.message, c.said, 'which org unit and program, why, what to change');
    t.same(
      err.issues.map((i: any) => i.expression),
      [['StockReport.lines[0]'], ['StockReport.lines[1]']],
    );
    t.match(err.issues[0].diagnostics, c.said);
    const mediatorUid = h.sandbox.state.userUid(h.sandbox.state.userNamed('mediator')!);
    const everything = JSON.stringify({ message: err.message, issues: err.issues });
    t.notOk(everything.includes(mediatorUid), "never the user's UID");
    t.notOk(/mediator"|Supply Mediator|d2pat_/.test(everything.replace(/mediator user's/g, '')), 'nor name or token');
    t.equal(h.sandbox.tracker.events.size, before, 'nothing written');

    await c.fix(h.sandbox);
    const posts = h.sandbox.state.count('POST', '/api/tracker');
    const done = await stock.report(distribution(hc), journal);
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), posts + 1, 'the retry asks DHIS2 again');
    t.match(done.status, /^created 2, updated 0/);
    t.equal(h.sandbox.tracker.events.size, before + 2, 'both events, once');
    await stock.report(distribution(hc), journal);
    t.equal(h.sandbox.state.count('POST', '/api/tracker'), posts + 1, 'accepted, it is journalled: not sent again');
    t.equal(h.sandbox.tracker.events.size, before + 2);
  });

t.test("connector: an RTS receipt refused with E1000, then the job's retry after the fix", async (t) => {
  const h = await startHarness({ version: '2.42.5' });
  t.teardown(h.close);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-104'];
  await postTrackerEvents(h.client, [
    {
      event: 'ConsAccess1',
      program: CONSIGNMENT.program,
      programStage: CONSIGNMENT.stage,
      orgUnit: hc,
      occurredAt: '2024-06-10T08:00:00.000',
      status: 'COMPLETED',
      dataValues: [
        { dataElement: CONSIGNMENT.item, value: 'EM_ORS' },
        { dataElement: CONSIGNMENT.quantity, value: '40' },
        { dataElement: CONSIGNMENT.reference, value: 'SHP-ACCESS' },
      ],
    },
  ]);
  const feed = createReceiptFeed({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => loadDhis2Products({}),
    consignments: () =>
      parseConsignmentElements(
        CONSIGNMENT.program,
        CONSIGNMENT.stage,
        `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
      ),
    useCase: () => loadUseCase(h.client, RTS.program),
  });
  const [receipt] = (await feed.completed()).deliveries;
  t.ok(receipt, 'the completed consignment');
  const before = h.sandbox.tracker.events.size;
  await patch(h.sandbox, 'users/mediator', { orgUnits: ['LK-HC-102'] });
  const journal = memoryJournal('receipt-access-1');
  const err = await feed.record(receipt, journal).catch((e: unknown) => e);
  t.ok(err instanceof Dhis2RejectionError, String(err));
  t.match(
    (err as Error).message,
    /no access: org unit \S+ \(\w{11}\) is outside the DHIS2 user's data capture org units/,
  );
  t.notOk(
    (err as Error).message.includes(h.sandbox.state.userUid(h.sandbox.state.userNamed('mediator')!)),
    'not the user',
  );
  t.equal(h.sandbox.tracker.events.size, before, 'nothing written');
  await patch(h.sandbox, 'users/mediator', { orgUnits: ['LKL'] });
  const done = await feed.record(receipt, journal);
  t.match(done.status, /^created 1, updated 0/, 'the retry asks DHIS2 again and the count is written');
  t.equal(h.sandbox.tracker.events.size, before + 1, 'once');
});
