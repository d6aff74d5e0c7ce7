/**
 * What "already in place" means for an update (src/fhir/applied-already.ts), type by type: the
 * same content apart from meta for every type; for an order line sent cancelled, the same line of
 * an order that reads cancelled, displays and the requisition's own members aside. Anything that
 * would change is not in place.
 */
import t from 'tap';
import { alreadyInPlace } from '../../../src/fhir/applied-already.js';

const GTIN = 'https://www.gs1.org/gtin';
const ORDERS = 'https://mobile.example.org/orders';

/** An order line as the client read it while its requisition existed (R4). */
const readR4 = {
  resourceType: 'SupplyRequest',
  id: 'l1',
  meta: { versionId: 'v1', lastUpdated: '2026-12-04T09:00:00Z' },
  identifier: [{ system: ORDERS, value: 'O-1' }],
  status: 'active',
  category: { coding: [{ system: 'urn:program', code: 'EM01' }] },
  priority: 'routine',
  itemCodeableConcept: { coding: [{ system: GTIN, code: '0123', display: 'ORS sachet' }] },
  quantity: { value: 120, unit: 'dispensing unit', system: 'urn:unit', code: 'dispensing-unit' },
  occurrencePeriod: { start: '2026-06-01', end: '2026-06-30' },
  reasonCode: [{ text: 'Ordered via FHIR SupplyRequest O-1' }],
  deliverTo: { reference: 'Location/f1', identifier: { system: 'urn:code', value: 'HC-1' }, display: 'Health Centre' },
};

/** The same order once cancelled, as it reads back: as written, without what the requisition added. */
const cancelledR4 = {
  resourceType: 'SupplyRequest',
  id: 'l1',
  meta: { versionId: 'v2' },
  identifier: [{ system: ORDERS, value: 'O-1' }],
  status: 'cancelled',
  category: { coding: [{ system: 'urn:program', code: 'EM01' }] },
  priority: 'routine',
  itemCodeableConcept: { coding: [{ system: GTIN, code: '0123' }] },
  quantity: { value: 120, unit: 'dispensing unit', system: 'urn:unit', code: 'dispensing-unit' },
  deliverTo: { reference: 'Location/f1' },
};

const sent = (read: Record<string, any>, change: Record<string, any>) => {
  const { meta: _meta, ...content } = read;
  return { ...content, ...change };
};

t.test('every type: the same content apart from meta', async (t) => {
  const location = { resourceType: 'Location', id: 'x', meta: { versionId: 'a' }, name: 'A', status: 'active' };
  t.ok(alreadyInPlace('Location', location, { status: 'active', name: 'A', id: 'x', resourceType: 'Location' }));
  t.notOk(alreadyInPlace('Location', location, sent(location, { name: 'B' })), 'another name');
  t.notOk(
    alreadyInPlace('Location', { ...location, status: 'inactive' }, sent(location, { status: 'inactive', name: 'B' })),
    'a status alone is in place for an order cancel only, not a Location with another name',
  );
  t.ok(alreadyInPlace('SupplyRequest', readR4, sent(readR4, {})), 'an order line sent back unedited');
  t.notOk(alreadyInPlace('SupplyRequest', readR4, sent(readR4, { quantity: { ...readR4.quantity, value: 300 } })));
});

t.test('an order line sent cancelled: the same line of an order that reads cancelled', async (t) => {
  const cancel = sent(readR4, { status: 'cancelled' });
  t.ok(alreadyInPlace('SupplyRequest', cancelledR4, cancel), 'the cancel built on the earlier read');
  t.notOk(alreadyInPlace('SupplyRequest', readR4, cancel), 'not while the order reads active');
  for (const [what, change] of Object.entries({
    quantity: { quantity: { ...readR4.quantity, value: 90 } },
    unit: { quantity: { ...readR4.quantity, code: 'pack' } },
    product: { itemCodeableConcept: { coding: [{ system: GTIN, code: '9999' }] } },
    'order number': { identifier: [{ system: ORDERS, value: 'O-2' }] },
    facility: { deliverTo: { reference: 'Location/f2' } },
    program: { category: { coding: [{ system: 'urn:program', code: 'EM02' }] } },
    priority: { priority: 'urgent' },
  }))
    t.notOk(alreadyInPlace('SupplyRequest', cancelledR4, sent(cancel, change)), `another ${what}`);
  t.notOk(
    alreadyInPlace('SupplyRequest', cancelledR4, sent(readR4, {})),
    'a line sent active to a cancelled order is not in place',
  );
});

t.test('R5: the product as item.concept', async (t) => {
  const r5 = (r: Record<string, any>) => {
    const { itemCodeableConcept, occurrencePeriod: _p, reasonCode: _r, ...rest } = r;
    return { ...rest, item: { concept: itemCodeableConcept } };
  };
  const cancel = sent(r5(readR4), { status: 'cancelled' });
  t.ok(alreadyInPlace('SupplyRequest', r5(cancelledR4), cancel));
  t.notOk(
    alreadyInPlace(
      'SupplyRequest',
      r5(cancelledR4),
      sent(cancel, { item: { concept: { coding: [{ system: GTIN, code: '9' }] } } }),
    ),
    'another product',
  );
});

t.test(
  'a delivery sent completed: the same lines accepted and rejected of a delivery that reads completed',
  async (t) => {
    const packs = (value: number) => ({ value, unit: 'pack', system: 'urn:unit', code: 'pack' });
    const ext = (name: string, value: Record<string, unknown>) => ({
      url: `http://fhir-supply-mediator.org/fhir/StructureDefinition/${name}`,
      ...value,
    });
    const line = (code: string, accepted: number, rejected?: number, reason?: string, lot?: string) => ({
      extension: [
        ext('quantity-shipped', { valueQuantity: packs(3) }),
        ...(rejected !== undefined ? [ext('quantity-rejected', { valueQuantity: packs(rejected) })] : []),
        ...(reason ? [ext('rejection-reason', { valueString: reason })] : []),
        ...(lot ? [ext('lot-number', { valueString: lot })] : []),
      ],
      quantity: packs(accepted),
      itemCodeableConcept: { coding: [{ system: GTIN, code }] },
    });
    const delivery = (status: string, items: unknown[], extra: Record<string, unknown> = {}) => ({
      resourceType: 'SupplyDelivery',
      id: 'pod-1',
      identifier: [{ system: 'urn:pod', value: 'pod-1' }],
      status,
      destination: { reference: 'Location/f1' },
      suppliedItem: items,
      ...extra,
    });
    // as it reads once confirmed: the date received, the receiver, a rejected 0 on the whole line
    const current = delivery('completed', [line('A', 2, 1, 'Damaged'), line('B', 3, 0)], {
      meta: { versionId: 'v2' },
      occurrenceDateTime: '2026-12-06',
      receiver: [{ display: 'Health Centre' }],
    });
    const sentAgain = delivery('completed', [line('B', 3), line('A', 2, 1, 'Damaged')], {
      occurrenceDateTime: '2026-12-06T04:27:12Z',
    });
    t.ok(alreadyInPlace('SupplyDelivery', current, sentAgain), 'the same confirmation, lines in any order');
    t.notOk(
      alreadyInPlace('SupplyDelivery', current, delivery('completed', [line('A', 1, 2, 'Damaged'), line('B', 3)])),
      'other quantities',
    );
    t.notOk(
      alreadyInPlace('SupplyDelivery', current, delivery('completed', [line('A', 2, 1, 'Expired'), line('B', 3)])),
      'another rejection reason',
    );
    t.notOk(
      alreadyInPlace('SupplyDelivery', current, delivery('completed', [line('A', 2, 1, 'Damaged')])),
      'a line fewer',
    );
    t.notOk(
      alreadyInPlace(
        'SupplyDelivery',
        current,
        delivery('completed', [line('A', 2, 1, 'Damaged', 'L1'), line('B', 3)]),
      ),
      'another lot',
    );
    t.notOk(
      alreadyInPlace('SupplyDelivery', { ...current, status: 'in-progress' }, sentAgain),
      'a delivery not confirmed yet',
    );
    t.notOk(
      alreadyInPlace('SupplyDelivery', current, { ...sentAgain, identifier: [{ system: 'urn:pod', value: 'pod-2' }] }),
      'another delivery',
    );
    // the date received and the receiver, where the system keeps the client's (a date: OpenLMIS)
    const openlmis = { dateReceivedKept: 'day' };
    t.notOk(
      alreadyInPlace('SupplyDelivery', current, { ...sentAgain, occurrenceDateTime: '2026-12-05T23:10:00Z' }, openlmis),
      'another day received than the one kept',
    );
    // the precision is the read's word (Delivery.dateReceivedKept), not the form of its dateTime
    const dayAsInstant = { ...current, occurrenceDateTime: '2026-12-06T00:00:00Z' };
    for (const sameDay of ['2026-12-06', '2026-12-06T23:59:00-05:00', '2026-12-06T08:00:00.123+03:00'])
      t.ok(
        alreadyInPlace('SupplyDelivery', dayAsInstant, { ...sentAgain, occurrenceDateTime: sameDay }, openlmis),
        `the day kept, read in another form, sent as ${sameDay}`,
      );
    t.notOk(
      alreadyInPlace('SupplyDelivery', dayAsInstant, { ...sentAgain, occurrenceDateTime: '2026-12-07' }, openlmis),
      'the day kept, read in another form: another day is a change',
    );
    t.ok(
      alreadyInPlace('SupplyDelivery', current, { ...sentAgain, occurrenceDateTime: '2026-12-05T23:10:00Z' }),
      "a bare day a system stamped itself (it keeps no date of the client's): not compared",
    );
    t.notOk(
      alreadyInPlace('SupplyDelivery', current, { ...sentAgain, receiver: [{ display: 'Clerk' }] }),
      'another receiver than the one kept',
    );
    t.ok(
      alreadyInPlace('SupplyDelivery', current, { ...sentAgain, receiver: [{ display: ' Health Centre ' }] }),
      'the receiver kept',
    );
    t.ok(
      alreadyInPlace(
        'SupplyDelivery',
        { ...current, occurrenceDateTime: '2026-12-06T05:01:02.345Z', receiver: undefined },
        { ...sentAgain, occurrenceDateTime: '2026-12-01T09:00:00Z', receiver: [{ display: 'Clerk' }] },
      ),
      "a system's own stamp of its receipt and no receiver kept: neither compared",
    );
    // a system keeping the client's instant (DHIS2's consignment events), as its read says
    const keptAt = { ...current, occurrenceDateTime: '2026-12-01T09:15:00.000Z' };
    const dhis2 = { dateReceivedKept: 'instant' };
    t.notOk(
      alreadyInPlace('SupplyDelivery', keptAt, { ...sentAgain, occurrenceDateTime: '2026-12-09' }, dhis2),
      'another instant than the one kept',
    );
    t.notOk(
      alreadyInPlace('SupplyDelivery', keptAt, { ...sentAgain, occurrenceDateTime: '2026-12-01T09:15:00.001Z' }, dhis2),
      'a millisecond apart: DHIS2 keeps milliseconds',
    );
    t.ok(
      alreadyInPlace(
        'SupplyDelivery',
        keptAt,
        { ...sentAgain, occurrenceDateTime: '2026-12-01T11:15:00+02:00' },
        dhis2,
      ),
      'the same instant in another zone',
    );
    // a wall time a clock change repeats (Berlin 02:30, 2026-10-25): DHIS2 holds both passes as one
    const foldKept = { ...current, occurrenceDateTime: '2026-10-25T00:30:00.000Z' };
    const fold = { dateReceivedKept: 'instant', receivedAtAlso: ['2026-10-25T01:30:00.000Z'] };
    t.ok(
      alreadyInPlace('SupplyDelivery', foldKept, { ...sentAgain, occurrenceDateTime: '2026-10-25T01:30:00Z' }, fold),
      'the later pass of the hour, which DHIS2 holds as the earlier',
    );
    t.notOk(
      alreadyInPlace(
        'SupplyDelivery',
        foldKept,
        { ...sentAgain, occurrenceDateTime: '2026-10-25T01:30:00.001Z' },
        fold,
      ),
      'but not another instant',
    );
    // R4: one line per resource, suppliedItem a single element
    t.ok(
      alreadyInPlace(
        'SupplyDelivery',
        { ...current, suppliedItem: line('A', 2, 1, 'Damaged') },
        { ...sentAgain, suppliedItem: line('A', 2, 1, 'Damaged') },
      ),
      'an R4 line',
    );
  },
);
