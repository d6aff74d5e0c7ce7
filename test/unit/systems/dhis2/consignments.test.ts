import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { Delivery } from '../../../../src/domain/index.js';
import { CONSIGNMENT_SYSTEM, parseConsignmentElements } from '../../../../src/systems/dhis2/consignments.js';
import { createDhis2Connector } from '../../../../src/systems/dhis2/index.js';
import { CONSIGNMENT, SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import { consignmentCapability } from '../../../support/dhis2-consignments.js';
import { amnesiacJournal, memoryJournal, startHarness, type Harness, loginPageOnce, LOGIN_PAGE } from './harness.js';

const elements = `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference},lot=${CONSIGNMENT.lot}`;
const GTIN = 'https://www.gs1.org/gtin';

const capability = (h: Harness, settings: Record<string, string> = {}) => consignmentCapability(h.client, settings);

t.test('settings: the data elements are named, or start-up says which is missing', async (t) => {
  t.same(parseConsignmentElements('LkConsignmt', 'LkConsStage', elements), {
    program: 'LkConsignmt',
    stage: 'LkConsStage',
    item: CONSIGNMENT.item,
    quantity: CONSIGNMENT.quantity,
    reference: CONSIGNMENT.reference,
    lot: CONSIGNMENT.lot,
  });
  t.throws(
    () => parseConsignmentElements('LkConsignmt', 'LkConsStage', `item=${CONSIGNMENT.item}`),
    /quantity=<data element UID>/,
  );
  t.throws(() => parseConsignmentElements('LkConsignmt', undefined, elements), /consignmentStage/);
  const off = createDhis2Connector({ 'dhis2.baseUrl': 'http://127.0.0.1:9', 'dhis2.apiToken': SEED_API_TOKEN });
  t.equal(off.deliveries, undefined, 'no consignment program: no delivery capability');
  await off.close?.();
});

t.test('a consignment written as events, read back; a retry after a lost answer creates no second event', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = capability(h);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const delivery: Delivery = {
    identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-0042' },
    status: 'completed',
    occurredAt: '2024-04-10T14:00:00Z',
    destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
    lines: [
      {
        product: { system: GTIN, code: '10860012300034' },
        quantityAccepted: { value: 1440, unit: 'dispensing-unit' },
        lot: { number: 'C-77' },
      },
      { product: { system: GTIN, code: '10860012300072' }, quantityAccepted: { value: 200, unit: 'dispensing-unit' } },
    ],
  };
  const before = h.sandbox.tracker.events.size;
  h.sandbox.faults.add({
    method: 'POST',
    path: '/api/tracker',
    times: 1,
    action: { type: 'afterApply', answer: { type: 'reset' } },
  });
  const written = await caps.confirm(delivery, amnesiacJournal('d-1'));
  t.same(written.ids, { consignment: `${hc}~SHP-0042` });
  t.equal(h.sandbox.tracker.events.size, before + 2, 'two lines, two events, none twice');
  await caps.confirm(delivery, amnesiacJournal('d-1-again'));
  t.equal(h.sandbox.tracker.events.size, before + 2, 'the same delivery again updates the same events');
  const journal = memoryJournal('d-2');
  await caps.confirm(delivery, journal);
  const posts = h.sandbox.state.count('POST', '/api/tracker');
  await caps.confirm(delivery, journal);
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), posts, 'a journalled write is not sent again');

  const read = await caps.get(written.ids.consignment);
  t.match(read, {
    identifier: { system: CONSIGNMENT_SYSTEM, value: 'SHP-0042' },
    status: 'completed',
    occurredAt: '2024-04-10T14:00:00.000Z',
    destination: { id: hc, identifier: { value: 'LK-HC-102' } },
  });
  t.same(read!.lines.map((l) => [l.product.code, l.quantityAccepted?.value, l.lot?.number]).sort(), [
    ['10860012300034', 1440, 'C-77'],
    ['10860012300072', 200, undefined],
  ]);
  t.same(
    (await caps.search({ facility: hc })).items.map((d) => d.identifier.value),
    ['SHP-0042'],
  );

  const bad = await caps
    .confirm(
      { ...delivery, destination: { identifier: { system: 'urn:x', value: 'NOWHERE' } } },
      amnesiacJournal('d-3'),
    )
    .catch((e) => e);
  t.ok(bad instanceof BusinessRuleError);
  t.same(bad.issues[0].expression, ['Delivery.destination']);
});

t.test('dhis2.rtsItemCode=msupply: events name items by the Open mSupply code, read back as the product', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = capability(h, { 'dhis2.rtsItemCode': 'msupply' });
  const delivery: Delivery = {
    identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-0043' },
    status: 'completed',
    occurredAt: '2024-04-11T09:00:00Z',
    destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
    lines: [
      { product: { system: GTIN, code: '10860012300072' }, quantityAccepted: { value: 200, unit: 'dispensing-unit' } },
      // 3 packs of amoxicillin: products.json's pack size (100), found by the item's mSupply code
      { product: { system: GTIN, code: '10860012300058' }, quantityAccepted: { value: 3, unit: 'pack' } },
    ],
  };
  const before = h.sandbox.tracker.events.size;
  const written = await caps.confirm(delivery, memoryJournal('m-1'));
  t.equal(h.sandbox.tracker.events.size, before + 2);
  const mine = [...h.sandbox.tracker.events.values()].filter((e) =>
    e.dataValues.some((d) => d.dataElement === CONSIGNMENT.reference && d.value === 'SHP-0043'),
  );
  const itemAndQuantity = (e: (typeof mine)[number]) =>
    [CONSIGNMENT.item, CONSIGNMENT.quantity].map((de) => e.dataValues.find((d) => d.dataElement === de)?.value);
  t.same(mine.map(itemAndQuantity).sort(), [
    ['AMX250T', '300'],
    ['ORS205S', '200'],
  ]);
  const read = await caps.get(written.ids.consignment);
  t.same(read!.lines.map((l) => [l.product.code, l.quantityAccepted?.value]).sort(), [
    ['10860012300058', 300],
    ['10860012300072', 200],
  ]);

  // condoms have no mSupply code: refused at the line, nothing sent
  const posts = h.sandbox.state.count('POST', '/api/tracker');
  const condoms = {
    ...delivery,
    identifier: { ...delivery.identifier, value: 'SHP-0044' },
    lines: [
      {
        product: { system: GTIN, code: '10860012300034' },
        quantityAccepted: { value: 144, unit: 'dispensing-unit' as const },
      },
    ],
  };
  const bad = await caps.confirm(condoms, memoryJournal('m-2')).catch((e) => e);
  t.ok(bad instanceof BusinessRuleError);
  t.match(bad.issues[0], {
    diagnostics:
      /gtin\|10860012300034 \(Male condom\) has no Open mSupply item code in products\.json \(codes\.msupply\), which dhis2\.rtsItemCode names RTS items by/,
    expression: ['Delivery.lines[0].product'],
  });
  // a product the catalogue does not list at all: not "has no code", which sends the operator
  // looking for a row that is not there
  const unlisted = { ...condoms, lines: [{ ...condoms.lines[0], product: { system: GTIN, code: '00000000000017' } }] };
  const absent = await caps.confirm(unlisted, memoryJournal('m-3')).catch((e) => e);
  t.match(absent.issues[0], {
    diagnostics:
      /^product https:\/\/www\.gs1\.org\/gtin\|00000000000017 is not in products\.json: no row carries that code \(add the product, with codes\.msupply\), which dhis2\.rtsItemCode names RTS items by$/,
    expression: ['Delivery.lines[0].product'],
  });
  t.equal(h.sandbox.state.count('POST', '/api/tracker'), posts, 'nothing sent');
});

t.test('two lines of one item and lot are one event of their sum, not the later line alone', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = capability(h);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const split: Delivery = {
    identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-0099' },
    status: 'completed',
    occurredAt: '2024-04-10T14:00:00Z',
    destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
    lines: [
      // one lot received on two pallets: R4 posts each as its own SupplyDelivery
      {
        product: { system: GTIN, code: '10860012300034' },
        quantityAccepted: { value: 100, unit: 'dispensing-unit' },
        lot: { number: 'C-78' },
      },
      {
        product: { system: GTIN, code: '10860012300034' },
        quantityAccepted: { value: 50, unit: 'dispensing-unit' },
        lot: { number: 'C-78' },
      },
      {
        product: { system: GTIN, code: '10860012300034' },
        quantityAccepted: { value: 7, unit: 'dispensing-unit' },
        lot: { number: 'C-79' },
      },
    ],
  };
  const before = h.sandbox.tracker.events.size;
  await caps.confirm(split, memoryJournal());
  t.equal(h.sandbox.tracker.events.size - before, 2, 'one event per item and lot');
  const [read] = (await caps.search({ facility: hc })).items.filter((d) => d.identifier.value === 'SHP-0099');
  t.same(
    read.lines.map((l) => [l.lot?.number, (l.quantityAccepted ?? l.quantityShipped)?.value]).sort(),
    [
      ['C-78', 150],
      ['C-79', 7],
    ],
    'the lot received on two lines counts 150',
  );
});

t.test('an events page answered by a login page: read again within the call, never a shorter list', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = capability(h);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  loginPageOnce(h, 'GET', '/api/tracker/events');
  t.same((await caps.search({ facility: hc })).items, [], 'the page retried: a real (empty) page');
  h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/events',
    action: { type: 'status', status: 200, body: LOGIN_PAGE },
  });
  const err = await caps.search({ facility: hc }).catch((e) => e);
  t.ok(err instanceof Error, 'refused, not an empty search result');
  t.equal(err.status, 502, "the upstream's fault, not the client's");
  t.equal(err.transient, true, 'asked again later');
  t.match(err.message, /GET \/api\/tracker\/events answered 200 with an HTML page/);
});
