import t from 'tap';
import { deepFreeze } from '../../../../src/platform/deep-freeze.js';
import { BusinessRuleError, ConflictError } from '../../../../src/domain/index.js';
import { PRODUCT_CODE_SYSTEM, REQUISITION_SYSTEM, orderLineId } from '../../../../src/systems/openlmis/identifiers.js';
import { decodeRequisition, orderNumberOf } from '../../../../src/systems/openlmis/requisition/requisition-decode.js';
import type { RequisitionDto } from '../../../../src/systems/openlmis/requisition/requisition-dto.js';
import {
  assertLinesHeld,
  assertSameOrder,
  buildFillBody,
  isFilled,
  linesNotHeld,
  type RequestedLine,
} from '../../../../src/systems/openlmis/requisition/requisition-fill.js';
import { idempotencyUuid } from '../../../../src/systems/openlmis/requisition/requisition-initiate.js';
import {
  buildRequisitionLessBody,
  decodeRequisitionLessOrder,
  isOwnDraft,
  sameOrderLines,
} from '../../../../src/systems/openlmis/requisition/requisition-less.js';
import { choosePeriod } from '../../../../src/systems/openlmis/requisition/requisition-period.js';
import {
  awaitsSubmit,
  isEmergency,
  isSubmittedOrBeyond,
  orderStatusOfRequisition,
  podStatusesFor,
  priorityOf,
  requisitionStatusesFor,
} from '../../../../src/systems/openlmis/requisition/requisition-status.js';

/** Pure requisition mappers: status maps, period choice, the fill body, decoding, requisition-less bodies. */
const products = { toProduct: (code: string, display?: string) => ({ system: PRODUCT_CODE_SYSTEM, code, display }) };
const ORDER = { system: 'urn:orders', value: 'ORD-1' };

function requisition(extra: Partial<RequisitionDto> = {}): RequisitionDto {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    status: 'INITIATED',
    emergency: false,
    createdDate: '2026-05-02T10:00:00Z',
    modifiedDate: '2026-05-02T11:00:00Z',
    facility: { id: 'f-1', code: 'HC01', name: 'Comfort Health Clinic' },
    program: { id: 'p-1', code: 'PRG001' },
    processingPeriod: { id: 'per-1', name: 'May2026', startDate: '2026-05-01', endDate: '2026-05-31' },
    extraData: {},
    template: { id: 'tpl' },
    requisitionLineItems: [
      {
        id: 'l1',
        orderable: { id: 'o1', productCode: 'C100', fullProductName: 'Levora' },
        requestedQuantity: null,
        requestedQuantityExplanation: null,
        skipped: false,
        stockOnHand: 5,
      },
      {
        id: 'l2',
        orderable: { id: 'o2', productCode: 'C200' },
        requestedQuantity: null,
        requestedQuantityExplanation: null,
        skipped: false,
      },
    ],
    ...extra,
  };
}

const wanted: RequestedLine[] = [
  {
    orderableId: 'o1',
    productCode: 'C100',
    requestedQuantity: 840,
    explanation: 'why',
    where: 'Order.lines[0].product',
  },
];

t.test('status maps follow reference §3.4', async (t) => {
  t.same(
    [
      'INITIATED',
      'REJECTED',
      'SUBMITTED',
      'AUTHORIZED',
      'IN_APPROVAL',
      'APPROVED',
      'RELEASED',
      'RELEASED_WITHOUT_ORDER',
      'SKIPPED',
      'NEW_THING',
    ].map(orderStatusOfRequisition),
    ['draft', 'draft', 'active', 'active', 'active', 'active', 'completed', 'completed', 'cancelled', 'unknown'],
  );
  t.same(requisitionStatusesFor('draft'), ['INITIATED', 'REJECTED']);
  t.same(requisitionStatusesFor('entered-in-error'), []);
  t.ok(awaitsSubmit('REJECTED'));
  t.notOk(isSubmittedOrBeyond('INITIATED'));
  t.ok(isSubmittedOrBeyond('APPROVED'));
  t.same(
    ['routine', 'urgent', 'asap', 'stat'].map((p) => isEmergency(p as never)),
    [false, true, true, true],
  );
  t.equal(priorityOf(true), 'urgent');
  t.equal(priorityOf(null), 'routine');
  t.same(podStatusesFor('completed'), ['CONFIRMED']);
});

t.test('period choice: oldest open one, the one covering order.period, reuse only regular drafts', async (t) => {
  const periods = [
    {
      id: 'a',
      name: 'Jan',
      startDate: '2026-01-01',
      endDate: '2026-01-31',
      requisitionId: 'r-a',
      requisitionStatus: 'SUBMITTED',
    },
    {
      id: 'b',
      name: 'Feb',
      startDate: '2026-02-01',
      endDate: '2026-02-28',
      requisitionId: 'r-b',
      requisitionStatus: 'INITIATED',
    },
    {
      id: 'c',
      name: 'Mar',
      startDate: '2026-03-01',
      endDate: '2026-03-31',
      requisitionId: null,
      requisitionStatus: null,
    },
  ];
  t.same(
    choosePeriod(periods, { emergency: false, where: 'Order.period' }),
    { periodId: 'b', periodName: 'Feb', requisitionId: 'r-b' },
    'skips the submitted one, reuses the draft',
  );
  t.same(
    choosePeriod(periods, { emergency: true, where: 'Order.period' }),
    { periodId: 'a', periodName: 'Jan', requisitionId: undefined },
    'emergency never reuses',
  );
  t.same(
    choosePeriod([periods[0], periods[2]], {
      wanted: { start: '2026-03-15T00:00:00Z' },
      emergency: false,
      where: 'Order.period',
    }).periodId,
    'c',
    "the period covering order.period (February's requisition authorized: no longer offered)",
  );
  t.throws(
    () => choosePeriod(periods, { wanted: { start: '2026-01-10' }, emergency: false, where: 'Order.period' }),
    ConflictError,
    'the wanted period is already submitted',
  );
  t.throws(
    () => choosePeriod(periods, { wanted: { end: '2025-12-31' }, emergency: false, where: 'Order.period' }),
    BusinessRuleError,
  );
  t.throws(
    () => choosePeriod(periods.slice(0, 1), { emergency: false, where: 'Order.period' }),
    BusinessRuleError,
    'nothing open',
  );
});

t.test('a period right after one whose requisition is not yet authorized is refused before any write', async (t) => {
  const period = (id: string, month: string, last: string, requisitionStatus: string | null) => ({
    id,
    name: id,
    startDate: `2026-${month}-01`,
    endDate: `2026-${month}-${last}`,
    requisitionId: requisitionStatus ? `r-${id}` : null,
    requisitionStatus,
  });
  const submittedJune = [period('Jun2026', '06', '30', 'SUBMITTED'), period('Jul2026', '07', '31', null)];
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err;
    }
    return undefined;
  };
  const next = refusal(() => choosePeriod(submittedJune, { emergency: false, where: 'Order.period' }));
  t.type(next, BusinessRuleError, 'the next free period: OpenLMIS would answer finishPreviousRequisition');
  t.match((next as BusinessRuleError).message, /Jun2026 \(r-Jun2026\) is authorized, and it is SUBMITTED/);
  t.same((next as BusinessRuleError).issues[0].expression, ['Order.period']);
  t.type(
    refusal(() =>
      choosePeriod(submittedJune, { wanted: { start: '2026-07-10' }, emergency: false, where: 'Order.period' }),
    ),
    BusinessRuleError,
    'the same when order.period names it',
  );
  const draftJune = [period('Jun2026', '06', '30', 'INITIATED'), period('Jul2026', '07', '31', null)];
  t.type(
    refusal(() =>
      choosePeriod(draftJune, { wanted: { start: '2026-07-10' }, emergency: false, where: 'Order.period' }),
    ),
    BusinessRuleError,
    'a draft before the named period too',
  );
  t.equal(
    choosePeriod(submittedJune, { emergency: true, where: 'Order.period' }).periodId,
    'Jun2026',
    'emergency requisitions are not held back',
  );
  const authorizedJuly = [period('Jun2026', '06', '30', 'REJECTED'), period('Aug2026', '08', '31', null)];
  t.equal(
    choosePeriod(authorizedJuly, { wanted: { start: '2026-08-10' }, emergency: false, where: 'Order.period' }).periodId,
    'Aug2026',
    'a period between them whose requisition went on (not offered) lets it through',
  );
});

t.test('the fill body sends everything back, sets the ordered lines and the order number', async (t) => {
  const r = requisition({ extraData: { keep: 'me' } });
  const body = buildFillBody(r, wanted, { orderNumber: ORDER });
  t.same(body.extraData, { keep: 'me', fhirOrderNumber: ORDER });
  const authored = buildFillBody(r, wanted, { orderNumber: ORDER, authoredOn: '2026-11-19T16:45:00+03:00' });
  t.same(
    authored.extraData,
    { keep: 'me', fhirOrderNumber: ORDER, fhirAuthoredOn: '2026-11-19T16:45:00+03:00' },
    "the client's authoredOn is kept beside the order number",
  );
  t.equal(body.template && (body.template as { id: string }).id, 'tpl', 'unmodelled fields survive');
  t.same(body.requisitionLineItems![0], {
    ...r.requisitionLineItems![0],
    skipped: false,
    requestedQuantity: 840,
    requestedQuantityExplanation: 'why',
  });
  t.same(
    body.requisitionLineItems![1],
    r.requisitionLineItems![1],
    'a regular requisition keeps unordered lines as they were',
  );
  t.equal(r.requisitionLineItems![0].requestedQuantity, null, 'the input is not mutated');
  const emergency = buildFillBody(requisition({ emergency: true }), wanted, { orderNumber: ORDER });
  t.same(
    [emergency.requisitionLineItems![1].skipped, emergency.requisitionLineItems![1].requestedQuantity],
    [true, null],
    'an emergency requisition skips them',
  );
  t.throws(
    () => buildFillBody(r, [{ ...wanted[0], orderableId: 'o9', productCode: 'X9' }], { orderNumber: ORDER }),
    /product X9 cannot be ordered on requisition .*: OpenLMIS lists it neither as a line nor among the products it may add \(program PRG001, facility HC01\)/,
  );
  t.notOk(isFilled(r, wanted, ORDER));
  t.ok(isFilled(body, wanted, ORDER));
  t.notOk(isFilled(body, [{ ...wanted[0], requestedQuantity: 841 }], ORDER));
  t.doesNotThrow(() => assertSameOrder(r, ORDER), 'no order number yet');
  t.doesNotThrow(() => assertSameOrder(body, ORDER));
  t.throws(() => assertSameOrder(body, { ...ORDER, value: 'ORD-2' }), ConflictError, 'another order already holds it');
});

t.test(
  'products not yet on the requisition are added as new lines when OpenLMIS lists them as available',
  async (t) => {
    const o3 = { id: 'o3', productCode: 'C300', fullProductName: 'Ors', meta: { versionNumber: 2 } };
    const o4 = { id: 'o4', productCode: 'C400' };
    // an emergency requisition starts with no lines; its products are the available full-supply ones
    const emergency = requisition({
      emergency: true,
      requisitionLineItems: [],
      availableFullSupplyProducts: [o3],
      availableNonFullSupplyProducts: [],
    });
    const ordered: RequestedLine[] = [
      {
        orderableId: 'o3',
        productCode: 'C300',
        requestedQuantity: 12,
        explanation: 'urgent',
        where: 'Order.lines[0].product',
      },
    ];
    const body = buildFillBody(emergency, ordered, { orderNumber: ORDER });
    t.equal(body.requisitionLineItems!.length, 1);
    const added = body.requisitionLineItems![0];
    t.same(
      { ...added, id: undefined },
      {
        id: undefined,
        orderable: o3,
        skipped: false,
        requestedQuantity: 12,
        requestedQuantityExplanation: 'urgent',
        approvedQuantity: null,
        remarks: null,
      },
      'the whole orderable as OpenLMIS listed it',
    );
    t.match(
      added.id,
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      'a UUID, as the line schema requires',
    );
    t.equal(
      buildFillBody(emergency, ordered, { orderNumber: ORDER }).requisitionLineItems![0].id,
      added.id,
      'the same PUT body on a retry',
    );
    t.ok(isFilled(body, ordered, ORDER), 'read back after the PUT, the line is found by its product');
    // a regular requisition can take a non-full-supply product beside its pre-filled lines
    const regular = buildFillBody(
      requisition({ availableNonFullSupplyProducts: [o4] }),
      [...wanted, { ...ordered[0], orderableId: 'o4', productCode: 'C400' }],
      { orderNumber: ORDER },
    );
    t.same(
      regular.requisitionLineItems!.map((l) => [l.orderable.id, l.requestedQuantity]),
      [
        ['o1', 840],
        ['o2', null],
        ['o4', 12],
      ],
    );
    t.throws(
      () =>
        buildFillBody(emergency, [{ ...ordered[0], orderableId: 'o4', productCode: 'C400' }], { orderNumber: ORDER }),
      BusinessRuleError,
      'not available to this requisition: a 422 naming the product',
    );
    t.same(linesNotHeld(body, ordered), [], 'the PUT answer holds the line as asked');
    t.same(
      linesNotHeld(emergency, ordered).map((l) => l.productCode),
      ['C300'],
      'an answer without it',
    );
    t.throws(() => assertLinesHeld(emergency, ordered), /did not take product C300 onto requisition/);
    t.same(
      linesNotHeld(
        buildFillBody(emergency, [{ ...ordered[0], requestedQuantity: 13 }], { orderNumber: ORDER }),
        ordered,
      ).map((l) => l.productCode),
      ['C300'],
      'another quantity is not held either',
    );
  },
);

t.test(
  'decoding writes nothing into the requisition (the read-back decodes the write step’s answer uncloned)',
  async (t) => {
    const filled = buildFillBody(requisition({ status: 'SUBMITTED', supplyingFacility: 'wh-1' }), wanted, {
      orderNumber: ORDER,
    });
    const expected = decodeRequisition(structuredClone(filled), products);
    t.same(decodeRequisition(deepFreeze(filled), products), expected, 'a frozen requisition decodes the same');
    t.ok(Object.isFrozen(filled.requisitionLineItems![0].orderable), 'frozen to the leaves');
  },
);

t.test('decode: v1 embedded, v2 with lookups, only requested lines', async (t) => {
  const filled = buildFillBody(requisition({ status: 'SUBMITTED', supplyingFacility: 'wh-1' }), wanted, {
    orderNumber: ORDER,
  });
  const o = decodeRequisition(filled, products);
  t.same(o, {
    id: filled.id,
    orderNumber: ORDER,
    status: 'active',
    priority: 'routine',
    facility: {
      id: 'f-1',
      identifier: { system: o.facility.identifier!.system, value: 'HC01' },
      display: 'Comfort Health Clinic',
    },
    supplier: { id: 'wh-1' },
    program: 'PRG001',
    authoredOn: '2026-05-02T10:00:00Z',
    period: { start: '2026-05-01', end: '2026-05-31' },
    lines: [
      {
        lineId: orderLineId(ORDER, products.toProduct('C100', 'Levora')),
        product: products.toProduct('C100', 'Levora'),
        quantity: { value: 840, unit: 'dispensing-unit' },
        explanation: 'why',
      },
    ],
    source: { system: 'openlmis', id: filled.id },
    lastUpdated: '2026-05-02T11:00:00Z',
  });
  t.same(
    orderNumberOf(requisition()),
    { system: REQUISITION_SYSTEM, value: requisition().id },
    'no client number: the requisition id',
  );
  const v2 = {
    ...filled,
    facility: { id: 'f-1' },
    program: { id: 'p-1' },
    processingPeriod: { id: 'per-1' },
    requisitionLineItems: [{ orderable: { id: 'o1', versionNumber: 1 }, requestedQuantity: 5, skipped: false }],
  };
  const d = decodeRequisition(v2, products, {
    orderable: () => ({ productCode: 'C100' }),
    programCode: () => 'PRG001',
    period: () => ({ startDate: '2026-05-01', endDate: '2026-05-31' }),
  });
  t.same(
    [d.program, d.period, d.lines[0].product.code],
    ['PRG001', { start: '2026-05-01', end: '2026-05-31' }, 'C100'],
  );
});

t.test('idempotency keys are UUIDs; requisition-less bodies and decode', async (t) => {
  const key = '8d5f7a8e-1b2c-4d3e-9f00-112233445566';
  t.equal(idempotencyUuid(key.toUpperCase()), key);
  const derived = idempotencyUuid('job-42');
  t.match(derived, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(idempotencyUuid('job-42'), derived, 'deterministic');
  t.not(idempotencyUuid('job-43'), derived);

  const lines = [{ orderable: { id: 'o1', versionNumber: 2 }, orderedQuantity: 6 }];
  const body = buildRequisitionLessBody({
    facilityId: 'f-1',
    supplierId: 'wh-1',
    programId: 'p-1',
    lines,
    orderNumber: ORDER,
  });
  t.same(
    [body.requestingFacility, body.supplyingFacility, body.program, body.emergency, body.externalId],
    [{ id: 'f-1' }, { id: 'wh-1' }, { id: 'p-1' }, false, null],
  );
  t.same(body.orderLineItems, [{ id: null, orderable: { id: 'o1', versionNumber: 2 }, orderedQuantity: 6 }]);
  const dto = {
    id: 'ord-1',
    status: 'ORDERED',
    receivingFacility: { id: 'f-1', code: 'HC01' },
    program: { id: 'p-1', code: 'PRG001' },
    extraData: body.extraData as Record<string, unknown>,
    orderLineItems: [{ orderable: { id: 'o1', productCode: 'C100' }, orderedQuantity: 6 }],
  };
  const o = decodeRequisitionLessOrder(dto, products);
  t.same([o.orderNumber, o.status, o.lines[0].quantity], [ORDER, 'active', { value: 6, unit: 'pack' }]);
  t.ok(sameOrderLines(dto, lines));
  t.notOk(sameOrderLines(dto, [{ ...lines[0], orderedQuantity: 7 }]));
  const since = Date.parse('2026-05-02T10:00:00Z');
  t.ok(isOwnDraft(dto, ORDER, lines, since), 'our order number');
  t.notOk(
    isOwnDraft(dto, { ...ORDER, value: 'ORD-2' }, lines, since),
    'the same lines under another order number are not ours',
  );
  const bare = { ...dto, extraData: null, createdDate: '2026-05-02T10:00:05Z' };
  t.ok(isOwnDraft(bare, ORDER, lines, since), 'a server that drops extraData: our lines, made after our first attempt');
  t.notOk(isOwnDraft(bare, ORDER, [{ ...lines[0], orderedQuantity: 7 }], since));
  t.notOk(
    isOwnDraft({ ...bare, createdDate: '2026-05-02T09:00:00Z' }, ORDER, lines, since),
    "a look-alike draft made before our first attempt is someone else's",
  );
  t.notOk(isOwnDraft({ ...bare, createdDate: null }, ORDER, lines, since), 'and so is one whose age is unknown');

  // the client's authoredOn travels in extraData; a server that drops extraData reads createdDate
  const authored = buildRequisitionLessBody({
    facilityId: 'f-1',
    supplierId: 'wh-1',
    programId: 'p-1',
    lines,
    orderNumber: ORDER,
    authoredOn: '2026-05-01T17:30:00+02:00',
  });
  t.same(authored.extraData, { fhirOrderNumber: ORDER, fhirAuthoredOn: '2026-05-01T17:30:00+02:00' });
  const kept = {
    ...dto,
    extraData: authored.extraData as Record<string, unknown>,
    createdDate: '2026-05-02T10:00:05Z',
  };
  t.equal(decodeRequisitionLessOrder(kept, products).authoredOn, '2026-05-01T17:30:00+02:00', 'the client’s');
  t.equal(decodeRequisitionLessOrder(bare, products).authoredOn, '2026-05-02T10:00:05Z', 'else OpenLMIS’s');
});
