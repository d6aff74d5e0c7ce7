/**
 * Tracker writes DHIS2 refuses for the mediator user's sharing or the item's ownership: no data
 * write of an event program (E1091), of a tracker program's stage (E1095), of a category option of
 * the events' attribute option combo (E1099), no data read of the program (E1096) or of its
 * tracked entity type (E1104), the tracked entity owned outside the user's reach (E1102). The sandbox answers as dhis2-core's event SecurityOwnershipValidator
 * does (tracker-access.ts: the words of 2.41, 2.42.1+ and 2.43, all of the validator's refusals
 * together, none after E1029, a superuser exempt, OPEN vs CLOSED ownership); the connector says
 * which program, stage, org unit and item, why, what a DHIS2 administrator changes and DHIS2's
 * code, never the user; after the fix the job's retry writes each event once.
 */
import t, { type Test } from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { createConsignmentCapability, parseConsignmentElements } from '../../../../src/systems/dhis2/consignments.js';
import { Dhis2RejectionError } from '../../../../src/systems/dhis2/errors.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { orgUnitResolver } from '../../../../src/systems/dhis2/stock.js';
import { CONSIGNMENT, RTS, SEED_API_TOKEN, startDhis2Sandbox } from '../../../../sandbox/dhis2/index.js';
import { DEFAULT_CATEGORY_OPTION } from '../../../../sandbox/dhis2/tracker-access.js';
import { memoryJournal, sandboxPatch as patch, startHarness, type Harness } from './harness.js';
import { CONDOM, outreachDistribution, stockFor } from './rts-stock.js';

type Sandbox = Awaited<ReturnType<typeof startDhis2Sandbox>>;

const MEDIATOR = { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' };
const ADMIN = {
  authorization: `Basic ${Buffer.from('admin:district').toString('base64')}`,
  'content-type': 'application/json',
};

async function postEvents(sb: Sandbox, events: unknown[], headers = MEDIATOR, query = 'async=false&atomicMode=ALL') {
  const res = await fetch(`${sb.url}/api/tracker?${query}`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ events }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const codes = (r: { body: any }) => r.body.validationReport.errorReports.map((e: any) => e.errorCode);

const consignment = (uid: string, orgUnit: string) => ({
  event: uid,
  program: CONSIGNMENT.program,
  programStage: CONSIGNMENT.stage,
  orgUnit,
  occurredAt: '2024-03-10T00:00:00.000',
  status: 'COMPLETED',
  dataValues: [{ dataElement: CONSIGNMENT.quantity, value: 'not a number' }],
});

/** A new RTS count of the seeded condom item at LK-HC-101. */
function rtsCount(sb: Sandbox, uid: string) {
  const ou = sb.state.summary().orgUnits['LK-HC-101'];
  const te = sb.tracker.teOf(ou, 'FP_CNDM')!;
  return {
    event: uid,
    program: RTS.program,
    programStage: RTS.stage,
    enrollment: te.enrollment,
    orgUnit: ou,
    occurredAt: '2024-03-28T10:00:00.000',
    status: 'COMPLETED',
    dataValues: [{ dataElement: RTS.stockCount, value: '400' }],
    te: te.trackedEntity,
  };
}

const WORDS = [
  {
    version: '2.41.3',
    e1091: (u: string, p: string) => `User: \`${u}\`, has no data write access to Program: \`${p}\`.`,
    e1095: (u: string, s: string) => `User: \`${u}\`, has no data write access to ProgramStage: \`${s}\`.`,
    e1096: (u: string, p: string) => `User: \`${u}\`, has no data read access to Program: \`${p}\`.`,
    e1104: (u: string, p: string, ty: string) =>
      `User: \`${u}\`, has no data read access to program: \`${p}\`, TrackedEntityType: \`${ty}\`.`,
    e1102: (u: string, te: string, p: string) =>
      `User: \`${u}\`, does not have access to the tracked entity: \`${te}\`, Program: \`${p}\`, combination.`,
  },
  ...['2.42.5', '2.43.0'].map((version) => ({
    version,
    e1091: (u: string, p: string) => `User: \`${u}\` has no data write access to Program: \`${p}\`.`,
    e1095: (u: string, s: string) => `User: \`${u}\` has no data write access to ProgramStage: \`${s}\`.`,
    e1096: (u: string, p: string) => `User: \`${u}\` has no data read access to Program: \`${p}\`.`,
    e1104: (u: string, p: string, ty: string) =>
      `User: \`${u}\` has no data read access to Program: \`${p}\`, TrackedEntityType: \`${ty}\`.`,
    e1102: (u: string, te: string, p: string) =>
      `User: \`${u}\` does not have access to the TrackedEntity: \`${te}\` and Program: \`${p}\`.`,
  })),
];

for (const w of WORDS)
  t.test(`sandbox ${w.version}: sharing and ownership refusals in DHIS2's words`, async (t) => {
    const sb = await startDhis2Sandbox({ version: w.version });
    t.teardown(sb.close);
    const ou = sb.state.summary().orgUnits;
    const user = sb.state.userUid(sb.state.userNamed('mediator')!);
    const events = () => sb.tracker.events.size;
    const before = events();

    // an event program the user may only read: E1091, and no data value error after it
    t.equal((await patch(sb, `programs/${CONSIGNMENT.program}`, { dataAccess: { mediator: 'r' } })).status, 200);
    const e1091 = await postEvents(sb, [consignment('LkShareEv01', ou['LK-HC-102'])]);
    t.equal(e1091.status, 409);
    t.same(
      e1091.body.validationReport.errorReports,
      [{ message: w.e1091(user, CONSIGNMENT.program), errorCode: 'E1091', trackerType: 'EVENT', uid: 'LkShareEv01' }],
      'E1091 alone: the values are not checked after a security refusal',
    );
    // with the org unit outside the capture scope too: the validator reports both
    await patch(sb, 'users/mediator', { orgUnits: ['LK-HC-101'] });
    t.same(codes(await postEvents(sb, [consignment('LkShareEv01', ou['LK-HC-102'])])), ['E1000', 'E1091']);
    // not the program's org unit: DataRelationsValidator refuses first, and nothing after it
    await patch(sb, `programs/${CONSIGNMENT.program}`, { orgUnits: ['LK-HC-101'] });
    t.same(codes(await postEvents(sb, [consignment('LkShareEv01', ou['LK-HC-102'])])), ['E1029']);
    await patch(sb, `programs/${CONSIGNMENT.program}`, { orgUnits: null, dataAccess: { mediator: null } });
    await patch(sb, 'users/mediator', { orgUnits: ['LKL'] });

    // a tracker program: stage write, program read, type read
    await patch(sb, `programStages/${RTS.stage}`, { dataAccess: { mediator: 'r' } });
    await patch(sb, `programs/${RTS.program}`, { dataAccess: { mediator: 'none' } });
    await patch(sb, `trackedEntityTypes/${RTS.trackedEntityType}`, { dataAccess: { mediator: 'none' } });
    const { te, ...count } = rtsCount(sb, 'LkShareEv02');
    const tracker = await postEvents(sb, [count]);
    t.same(
      tracker.body.validationReport.errorReports,
      [
        { message: w.e1095(user, RTS.stage), errorCode: 'E1095', trackerType: 'EVENT', uid: 'LkShareEv02' },
        { message: w.e1096(user, RTS.program), errorCode: 'E1096', trackerType: 'EVENT', uid: 'LkShareEv02' },
        {
          message: w.e1104(user, RTS.program, RTS.trackedEntityType),
          errorCode: 'E1104',
          trackerType: 'EVENT',
          uid: 'LkShareEv02',
        },
      ],
      'E1095, E1096, E1104 together',
    );
    t.equal((await postEvents(sb, [count], ADMIN)).status, 200, 'a superuser passes sharing');
    t.equal(events(), before + 1);
    // data read ('r') is enough of the program; the stage needs write
    await patch(sb, `programs/${RTS.program}`, { dataAccess: { mediator: 'r' } });
    await patch(sb, `trackedEntityTypes/${RTS.trackedEntityType}`, { dataAccess: { mediator: 'r' } });
    t.same(codes(await postEvents(sb, [{ ...count, event: 'LkShareEv03' }])), ['E1095']);
    await patch(sb, `programStages/${RTS.stage}`, { dataAccess: { mediator: 'rw' } });
    t.equal((await postEvents(sb, [{ ...count, event: 'LkShareEv03' }])).status, 200, 'rw on the stage: written');

    // ownership: the item transferred to LK-HC-103, outside the user's capture and search org units
    await patch(sb, 'users/mediator', { orgUnits: ['LK-HC-101', 'LK-HC-102'], searchOrgUnits: ['LK-HC-102'] });
    t.equal((await patch(sb, `trackedEntities/${te}`, { program: RTS.program, owner: 'LK-HC-103' })).status, 200);
    const owned = await postEvents(sb, [{ ...count, event: 'LkShareEv04' }]);
    t.same(
      owned.body.validationReport.errorReports,
      [{ message: w.e1102(user, te, RTS.program), errorCode: 'E1102', trackerType: 'EVENT', uid: 'LkShareEv04' }],
      'E1102 names the tracked entity and the program',
    );
    t.equal((await postEvents(sb, [{ ...count, event: 'LkShareEv04' }], ADMIN)).status, 200, 'a superuser owns all');
    // an OPEN program reaches its owner through the search org units; a CLOSED one only through capture
    await patch(sb, 'users/mediator', { searchOrgUnits: ['LK-HC-103'] });
    t.equal((await postEvents(sb, [{ ...count, event: 'LkShareEv05' }])).status, 200, 'OPEN: search scope');
    await patch(sb, `programs/${RTS.program}`, { accessLevel: 'CLOSED' });
    t.same(codes(await postEvents(sb, [{ ...count, event: 'LkShareEv06' }])), ['E1102'], 'CLOSED: capture only');
    await patch(sb, `trackedEntities/${te}`, { program: RTS.program, owner: null });
    t.equal((await postEvents(sb, [{ ...count, event: 'LkShareEv06' }])).status, 200, 'owned where enrolled again');
    // an update in place of a tracker event: ownership and sharing, not the capture scope (E1000)
    await patch(sb, 'users/mediator', { orgUnits: ['LK-HC-102'], searchOrgUnits: null });
    t.same(codes(await postEvents(sb, [{ ...count, event: 'LkShareEv06' }])), ['E1102'], 'updated in place');
    t.same(codes(await postEvents(sb, [{ ...count, event: 'LkShareEv07' }])), ['E1000', 'E1102'], 'created');
    t.equal(events(), before + 5, 'nothing refused was written');
    t.equal((await patch(sb, `programs/${RTS.program}`, { accessLevel: 'SECRET' })).status, 400);
    t.equal((await patch(sb, `programStages/${RTS.stage}`, { dataAccess: { mediator: 'x' } })).status, 400);
    t.equal((await patch(sb, `trackedEntities/${te}`, { program: RTS.program, owner: 'NOPE' })).status, 400);
  });

const E1099_WORDS = [
  {
    version: '2.41.3',
    words: (u: string, o: string) => `User: \`${u}\`, has no write access to CategoryOption: \`${o}\`.`,
  },
  ...['2.42.5', '2.43.0'].map((version) => ({
    version,
    words: (u: string, o: string) => `User: \`${u}\` has no write access to CategoryOption: \`${o}\`.`,
  })),
];

for (const w of E1099_WORDS)
  t.test(`sandbox ${w.version}: no data write of the events' category option (E1099)`, async (t) => {
    const sb = await startDhis2Sandbox({ version: w.version });
    t.teardown(sb.close);
    const ou = sb.state.summary().orgUnits;
    const user = sb.state.userUid(sb.state.userNamed('mediator')!);
    const before = sb.tracker.events.size;
    const option = `categoryOptions/${DEFAULT_CATEGORY_OPTION}`;
    t.equal((await patch(sb, option, { dataAccess: { mediator: 'r' } })).status, 200);
    const refused = await postEvents(sb, [consignment('LkShareEv09', ou['LK-HC-102'])]);
    t.equal(refused.status, 409);
    t.same(
      refused.body.validationReport.errorReports,
      [
        {
          message: w.words(user, DEFAULT_CATEGORY_OPTION),
          errorCode: 'E1099',
          trackerType: 'EVENT',
          uid: 'LkShareEv09',
        },
      ],
      "the default attribute option combo's one option, and no data value error after it",
    );
    await patch(sb, `programs/${CONSIGNMENT.program}`, { dataAccess: { mediator: 'r' } });
    t.same(
      codes(await postEvents(sb, [consignment('LkShareEv09', ou['LK-HC-102'])])),
      ['E1091', 'E1099'],
      "after the program's sharing",
    );
    const { te: _te, ...count } = rtsCount(sb, 'LkShareEv10');
    t.same(codes(await postEvents(sb, [count])), ['E1099'], 'a tracker program too');
    t.equal((await postEvents(sb, [count], ADMIN)).status, 200, 'a superuser passes');
    await patch(sb, option, { dataAccess: { mediator: 'rw' } });
    t.equal((await postEvents(sb, [{ ...count, event: 'LkShareEv11' }])).status, 200, 'shared again: written');
    t.equal(sb.tracker.events.size, before + 2, 'nothing refused was written');
  });

const distribution = (facility: string) => outreachDistribution(facility, -30);

/** Nothing of the mediator user in what the client and operator are told: its UID, name or token. */
function noUser(t: Test, h: Harness, err: Dhis2RejectionError) {
  const everything = JSON.stringify({ message: err.message, issues: err.issues });
  t.notOk(everything.includes(h.sandbox.state.userUid(h.sandbox.state.userNamed('mediator')!)), "not the user's UID");
  t.notOk(/Supply Mediator|d2pat_/.test(everything), 'nor its name or token');
}

const RTS_CASES = [
  {
    code: 'E1099',
    refuse: (sb: Sandbox) => patch(sb, `categoryOptions/${DEFAULT_CATEGORY_OPTION}`, { dataAccess: { mediator: 'r' } }),
    fix: (sb: Sandbox) => patch(sb, `categoryOptions/${DEFAULT_CATEGORY_OPTION}`, { dataAccess: { mediator: 'rw' } }),
    said: /no data write access: the DHIS2 user may not write data with category option xYerKDKCefk of program LkRtsProgrm \(stage LkRtsStage1\) at org unit LK-HC-101 \(\w{11}\) \(the events' attribute option combination, the default one\); a DHIS2 administrator gives the mediator user \(or its user group\) data write access in the category option's sharing, then retry the job \(DHIS2 E1099\)/,
  },
  {
    code: 'E1095',
    refuse: (sb: Sandbox) => patch(sb, `programStages/${RTS.stage}`, { dataAccess: { mediator: 'r' } }),
    fix: (sb: Sandbox) => patch(sb, `programStages/${RTS.stage}`, { dataAccess: { mediator: 'rw' } }),
    said: /no data write access: the DHIS2 user may not write data of stage LkRtsStage1 of program LkRtsProgrm at org unit LK-HC-101 \(\w{11}\); a DHIS2 administrator gives the mediator user \(or its user group\) data write access in the program stage's sharing, then retry the job \(DHIS2 E1095\)/,
  },
  {
    code: 'E1096',
    refuse: (sb: Sandbox) => patch(sb, `programs/${RTS.program}`, { dataAccess: { mediator: 'none' } }),
    fix: (sb: Sandbox) => patch(sb, `programs/${RTS.program}`, { dataAccess: { mediator: 'r' } }),
    said: /no data read access: the DHIS2 user may not read data of program LkRtsProgrm \(stage LkRtsStage1\) at org unit LK-HC-101 \(\w{11}\); a DHIS2 administrator gives the mediator user \(or its user group\) data read access in the program's sharing, then retry the job \(DHIS2 E1096\)/,
  },
  {
    code: 'E1102',
    refuse: async (sb: Sandbox) => {
      const ou = sb.state.summary().orgUnits['LK-HC-101'];
      await patch(sb, `trackedEntities/${sb.tracker.teOf(ou, 'FP_CNDM')!.trackedEntity}`, {
        program: RTS.program,
        owner: 'LK-HC-102',
      });
      return patch(sb, 'users/mediator', { orgUnits: ['LK-HC-101'], searchOrgUnits: null });
    },
    fix: (sb: Sandbox) => patch(sb, 'users/mediator', { searchOrgUnits: ['LK-HC-102'] }),
    said: /not the owner's: item FP_CNDM \(tracked entity \w{11}\) is owned in program LkRtsProgrm at org unit LK-HC-101 \(\w{11}\) by an org unit outside the DHIS2 user's reach; a DHIS2 administrator adds the owning org unit \(or a parent\) to the mediator user's search org units \(an open or audited program\) or data capture org units \(a protected or closed one\), or transfers the ownership back to org unit LK-HC-101 \(\w{11}\), then retry the job \(DHIS2 E1102\)/,
  },
];

for (const c of RTS_CASES)
  t.test(
    `connector: an RTS event refused with ${c.code}, said for the operator; the retry after the fix`,
    async (t) => {
      const h = await startHarness(
        { version: '2.42.5' },
        { 'dhis2.rtsProgram': RTS.program, 'dhis2.stockTarget': 'rts' },
      );
      t.teardown(h.close);
      const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
      const stock = stockFor(h);
      const before = h.sandbox.tracker.events.size;
      await c.refuse(h.sandbox);
      const journal = memoryJournal(`rts-share-${c.code}`);
      const err = await stock.report(distribution(hc), journal).catch((e) => e);
      t.ok(err instanceof Dhis2RejectionError, String(err));
      t.equal(err.status, 422, 'refused, not retried by the outbox');
      t.equal(err.transient, false);
      t.match(err.message, c.said, 'which program, stage, org unit (and item), why, what to change, the code');
      t.match(err.issues, [{ code: 'business-rule', diagnostics: c.said, expression: ['StockReport.lines[0]'] }]);
      noUser(t, h, err);
      t.equal(h.sandbox.tracker.events.size, before, 'nothing written');

      await c.fix(h.sandbox);
      const posts = h.sandbox.state.count('POST', '/api/tracker');
      t.match((await stock.report(distribution(hc), journal)).status, /^created 1, updated 0/);
      t.equal(h.sandbox.state.count('POST', '/api/tracker'), posts + 1, 'the retry asked DHIS2 again');
      t.equal(h.sandbox.tracker.events.size, before + 1, 'the event, once');
    },
  );

t.test('connector: a consignment refused with E1091, said for the operator; the retry after the fix', async (t) => {
  const h = await startHarness({ version: '2.43.0' });
  t.teardown(h.close);
  const products = loadDhis2Products({});
  const reader = createOrgUnitReader(h.client);
  const program = parseConsignmentElements(
    CONSIGNMENT.program,
    CONSIGNMENT.stage,
    `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
  );
  const caps = createConsignmentCapability({
    client: h.client,
    reader,
    products: () => products,
    program: () => program,
    resolveOrgUnit: orgUnitResolver(reader),
  });
  const delivery: Delivery = {
    identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-SHARE' },
    status: 'completed',
    occurredAt: '2024-04-10T14:00:00Z',
    destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
    lines: [{ product: CONDOM, quantityAccepted: { value: 100, unit: 'dispensing-unit' } }],
  };
  const before = h.sandbox.tracker.events.size;
  await patch(h.sandbox, `programs/${CONSIGNMENT.program}`, { dataAccess: { mediator: 'r' } });
  const journal = memoryJournal('consign-share');
  const err = await caps.confirm(delivery, journal).catch((e) => e);
  t.ok(err instanceof Dhis2RejectionError, String(err));
  t.match(
    err.message,
    /DHIS2 refused 1 of 1 consignment events: no data write access: the DHIS2 user may not write data of program LkConsignmt \(stage LkConsStage\) at org unit LK-HC-102 \(\w{11}\); a DHIS2 administrator gives the mediator user \(or its user group\) data write access in the program's sharing, then retry the job \(DHIS2 E1091\)/,
  );
  t.same(
    err.issues.map((i: any) => i.expression),
    [['Delivery.lines[0]']],
  );
  noUser(t, h, err);
  t.equal(h.sandbox.tracker.events.size, before);
  await patch(h.sandbox, `programs/${CONSIGNMENT.program}`, { dataAccess: { mediator: 'rw' } });
  t.match((await caps.confirm(delivery, journal)).status, /^created 1, updated 0/, 'the retry asks again');
  t.equal(h.sandbox.tracker.events.size, before + 1);
});
