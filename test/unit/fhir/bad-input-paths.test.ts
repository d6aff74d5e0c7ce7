/**
 * Issue 9 item 12: a refusal from a connector names the element of the posted resource, not the
 * connector's domain field. The translator is checked here for each flow, both FHIR versions,
 * resources posted alone and inside a Bundle.
 */
import t from 'tap';
import { MediatorError, BusinessRuleError } from '../../../src/domain/errors.js';
import { fhirPathTranslator, inPostedTerms, transactionTranslator } from '../../../src/fhir/domain-paths.js';
import { EXT } from '../../../src/fhir/conventions.js';

const line = (id: string, extra: Record<string, unknown> = {}) => ({
  lineId: id,
  product: { system: 's', code: id },
  quantity: { value: 1, unit: 'pack' },
  ...extra,
});

t.test('orders: order-level fields go to the first line, line fields to their own resource', async (t) => {
  const order = { lines: [line('a'), line('b')] };
  const parts = [
    { id: 'a', path: 'Bundle.entry[0].resource', resource: {} },
    { id: 'b', path: 'Bundle.entry[3].resource', resource: {} },
  ];
  const r4 = fhirPathTranslator('r4', 'SupplyRequest', order, parts);
  t.equal(r4('Order.facility'), 'Bundle.entry[0].resource.deliverTo');
  t.equal(r4('Order.supplier'), 'Bundle.entry[0].resource.deliverFrom');
  t.equal(r4('Order.program'), 'Bundle.entry[0].resource.category');
  t.equal(r4('Order.period'), 'Bundle.entry[0].resource.occurrencePeriod');
  t.equal(r4('Order.orderNumber'), 'Bundle.entry[0].resource.identifier');
  t.equal(r4('Order.lines[1].product'), 'Bundle.entry[3].resource.itemCodeableConcept');
  t.equal(r4('Order.lines[1].quantity'), 'Bundle.entry[3].resource.quantity');
  t.equal(r4('Order.lines[1].explanation'), 'Bundle.entry[3].resource.reasonCode');
  t.equal(r4('Order.lines'), 'Bundle.entry[0].resource');
  t.equal(
    r4('SupplyRequest.authoredOn'),
    'Bundle.entry[0].resource.authoredOn',
    'a path already in FHIR terms is moved under the entry',
  );
  const r5 = fhirPathTranslator('r5', 'SupplyRequest', order, parts);
  t.equal(r5('Order.lines[0].product'), 'Bundle.entry[0].resource.item.concept');
  t.equal(r5('Order.lines[0].explanation'), 'Bundle.entry[0].resource.reason');
});

t.test('deliveries: R5 items by index, R4 lines by their resource, extensions by index', async (t) => {
  const r5resource = {
    suppliedItem: [
      {},
      { extension: [{ url: EXT.lotNumber }, { url: EXT.quantityRejected }, { url: EXT.rejectionReason }] },
    ],
  };
  const r5 = fhirPathTranslator('r5', 'SupplyDelivery', { lines: [line('x'), line('y')] }, [
    { id: 'd', path: 'SupplyDelivery', resource: r5resource },
  ]);
  t.equal(r5('Delivery.identifier'), 'SupplyDelivery.identifier');
  t.equal(r5('Delivery.destination'), 'SupplyDelivery.destination');
  t.equal(r5('Delivery.lines[1].product'), 'SupplyDelivery.suppliedItem[1].itemCodeableConcept');
  t.equal(r5('Delivery.lines[1].quantityAccepted'), 'SupplyDelivery.suppliedItem[1].quantity');
  t.equal(r5('Delivery.lines[1].quantityRejected'), 'SupplyDelivery.suppliedItem[1].extension[1]');
  t.equal(r5('Delivery.lines[1].rejectionReason'), 'SupplyDelivery.suppliedItem[1].extension[2]');
  t.equal(r5('Delivery.lines[1].lot'), 'SupplyDelivery.suppliedItem[1].extension[0]');
  t.equal(r5('Delivery.lines'), 'SupplyDelivery.suppliedItem');
  const r4 = fhirPathTranslator('r4', 'SupplyDelivery', { lines: [line('p'), line('q')] }, [
    { id: 'p', path: 'Bundle.entry[0].resource', resource: { suppliedItem: {} } },
    { id: 'q', path: 'Bundle.entry[1].resource', resource: { suppliedItem: { extension: [{ url: EXT.vvmStatus }] } } },
  ]);
  t.equal(r4('Delivery.lines[1].vvmStatus'), 'Bundle.entry[1].resource.suppliedItem.extension[0]');
  t.equal(r4('Delivery.lines[0].product'), 'Bundle.entry[0].resource.suppliedItem.itemCodeableConcept');
});

t.test(
  "stock: the connector's line index is the n-th item across listings; a reason problem is the reason",
  async (t) => {
    const report = {
      operationTypeReason: { text: 'Damage' },
      inventoryListing: [
        { item: [{}, {}] },
        { item: [{ extension: [{ url: EXT.lotNumber }, { url: EXT.stockReason }] }] },
      ],
    };
    const tr = fhirPathTranslator('r5', 'InventoryReport', { lines: [{}, {}, {}] }, [
      { id: 'r', path: 'InventoryReport', resource: report },
    ]);
    t.equal(
      tr('InventoryReport.inventoryListing[0].item[2].item'),
      'InventoryReport.inventoryListing[1].item[0].item.concept',
    );
    t.equal(
      tr('InventoryReport.inventoryListing[0].item[2].countingDateTime'),
      'InventoryReport.inventoryListing[1].item[0].extension[1]',
      'its own reason extension',
    );
    t.equal(
      tr('InventoryReport.inventoryListing[0].item[1].countingDateTime'),
      'InventoryReport.operationTypeReason',
      "else the report's reason",
    );
    t.equal(
      tr('InventoryReport.inventoryListing[0].item[2].characteristic'),
      'InventoryReport.inventoryListing[1].item[0].extension[0]',
      'the lot',
    );
    t.equal(
      tr('InventoryReport.inventoryListing[0].item[2].quantity'),
      'InventoryReport.inventoryListing[1].item[0].quantity',
    );
    t.equal(tr('InventoryReport.inventoryListing.location'), 'InventoryReport.inventoryListing[0].location');
    t.equal(tr('InventoryReport.inventoryListing[0].location'), 'InventoryReport.inventoryListing[0].location');
  },
);

t.test('locations: R5 names for the elements R5 renamed', async (t) => {
  t.equal(
    fhirPathTranslator('r5', 'Location', {}, [{ id: 'l', path: 'Location', resource: {} }])('Location.physicalType'),
    'Location.form',
  );
  t.equal(
    fhirPathTranslator('r4', 'Location', {}, [{ id: 'l', path: 'Location', resource: {} }])('Location.physicalType'),
    'Location.physicalType',
  );
  t.equal(
    fhirPathTranslator('r4', 'Location', {}, [{ id: 'l', path: 'Bundle.entry[2].resource', resource: {} }])(
      'Location.partOf',
    ),
    'Bundle.entry[2].resource.partOf',
  );
});

t.test("inPostedTerms keeps the error's class and status, and fills a missing expression", async (t) => {
  const tr = fhirPathTranslator('r4', 'SupplyRequest', { lines: [line('a')] }, [
    { id: 'a', path: 'SupplyRequest', resource: {} },
  ]);
  const out = inPostedTerms(
    new BusinessRuleError('facility X is not an OpenLMIS facility', 'Order.facility'),
    tr,
  ) as MediatorError;
  t.ok(out instanceof BusinessRuleError);
  t.equal(out.status, 422);
  t.same(out.issues[0].expression, ['SupplyRequest.deliverTo']);
  const conflict = inPostedTerms(
    new MediatorError(409, { code: 'conflict', diagnostics: 'key used' }),
    tr,
  ) as MediatorError;
  t.same(conflict.issues[0].expression, ['SupplyRequest.identifier'], 'a conflict is about the business key');
  const other = inPostedTerms(new MediatorError(502, { code: 'transient', diagnostics: 'down' }), tr) as MediatorError;
  t.same(other.issues[0].expression, ['SupplyRequest']);
});

t.test("a transaction's translator picks the write of the expression's type", async (t) => {
  const tr = transactionTranslator('r4', [
    {
      type: 'SupplyRequest',
      value: { lines: [line('a')] },
      parts: [{ id: 'a', path: 'Bundle.entry[0].resource', resource: {} }],
    },
    {
      type: 'SupplyDelivery',
      value: { lines: [line('d')] },
      parts: [{ id: 'd', path: 'Bundle.entry[1].resource', resource: { suppliedItem: {} } }],
    },
  ]);
  t.equal(tr('Order.facility'), 'Bundle.entry[0].resource.deliverTo');
  t.equal(tr('Delivery.lines[0].product'), 'Bundle.entry[1].resource.suppliedItem.itemCodeableConcept');
});

t.test("a refusal's diagnostics that open with a domain path name the posted element instead", async (t) => {
  const stock = fhirPathTranslator('r5', 'InventoryReport', { lines: [line('a')] }, [
    {
      id: 'r',
      path: 'InventoryReport',
      resource: { inventoryListing: [{ item: [{}] }] },
    },
  ]);
  // what Open mSupply's connector answers for a count that is not whole packs
  const packs = inPostedTerms(
    new BusinessRuleError(
      'StockReport.lines[0].quantity: -5 units is not a whole number of packs (100 per pack)',
      'StockReport.lines[0].quantity',
    ),
    stock,
  ) as MediatorError;
  t.equal(
    packs.issues[0].diagnostics,
    'InventoryReport.inventoryListing[0].item[0].quantity: -5 units is not a whole number of packs (100 per pack)',
  );
  t.same(packs.issues[0].expression, ['InventoryReport.inventoryListing[0].item[0].quantity']);
  const order = fhirPathTranslator('r4', 'SupplyRequest', { lines: [line('a')] }, [
    { id: 'a', path: 'Bundle.entry[2].resource', resource: {} },
  ]);
  const units = inPostedTerms(
    new BusinessRuleError('Order.lines[0].quantity: 7 dispensing units is not a whole number of packs', 'Order.lines'),
    order,
  ) as MediatorError;
  t.equal(
    units.issues[0].diagnostics,
    'Bundle.entry[2].resource.quantity: 7 dispensing units is not a whole number of packs',
    'translated on its own, whatever the expression names',
  );
  const plain = inPostedTerms(new BusinessRuleError('Order refused: no open period', 'Order.period'), order);
  t.equal((plain as MediatorError).issues[0].diagnostics, 'Order refused: no open period', 'prose is left alone');
});
