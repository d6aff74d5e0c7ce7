import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import { packsToOrder, packsToUnits, toUnit } from '../../../../src/systems/openlmis/product/units.js';

// pack rules of two seeded orderables: a cycle pack (threshold half a pack) and a 1000-tablet tin that may round to zero
const lng = { productCode: 'FP-LNG30', netContent: 84, packRoundingThreshold: 42, roundToZero: false };
const pcm = { productCode: 'EM-PCM500', netContent: 1000, packRoundingThreshold: 500, roundToZero: true };

t.test('packsToOrder rounds up only past the threshold', async (t) => {
  t.equal(packsToOrder(0, lng), 0, 'nothing ordered');
  t.equal(packsToOrder(84, lng), 1, 'exactly one pack');
  t.equal(packsToOrder(126, lng), 1, 'remainder 42 = threshold: no extra pack');
  t.equal(packsToOrder(127, lng), 2, 'remainder 43 > threshold: one more pack');
  t.equal(packsToOrder(168, lng), 2);
});

t.test('roundToZero decides whether a small positive quantity becomes 0 or 1 pack', async (t) => {
  t.equal(packsToOrder(1, lng), 1, 'roundToZero false: never 0 packs for a positive quantity');
  t.equal(packsToOrder(42, lng), 1, 'below threshold, still one pack');
  t.equal(packsToOrder(500, pcm), 0, 'roundToZero true: remainder at the threshold rounds to 0');
  t.equal(packsToOrder(501, pcm), 1, 'one past the threshold: a pack');
  t.equal(packsToOrder(1500, pcm), 1);
  t.equal(packsToOrder(1501, pcm), 2);
  t.equal(packsToOrder(5, { ...pcm, netContent: 0 }), 0, 'no pack size: nothing to order (as OpenLMIS)');
});

t.test('packsToUnits multiplies by netContent', async (t) => {
  t.equal(packsToUnits(3, lng), 252);
  t.equal(packsToUnits(0, pcm), 0);
});

t.test('toUnit converts across units or refuses with a 422 naming the line', async (t) => {
  t.equal(toUnit({ value: 5, unit: 'pack' }, 'pack', lng, 'x'), 5, 'same unit');
  t.equal(toUnit({ value: 2, unit: 'pack' }, 'dispensing-unit', lng, 'x'), 168);
  t.equal(toUnit({ value: 168, unit: 'dispensing-unit' }, 'pack', lng, 'x'), 2);
  t.equal(toUnit({ value: 0, unit: 'dispensing-unit' }, 'pack', lng, 'x'), 0);
  const err = (() => {
    try {
      toUnit({ value: 85, unit: 'dispensing-unit' }, 'pack', lng, 'SupplyDelivery.suppliedItem[2].quantity');
    } catch (e) {
      return e;
    }
  })() as BusinessRuleError;
  t.type(err, BusinessRuleError);
  t.equal(err.status, 422);
  t.same(err.issues[0].expression, ['SupplyDelivery.suppliedItem[2].quantity']);
  t.match(err.message, /85 dispensing units of FP-LNG30 is not a whole number of packs \(84 per pack\)/);
  t.throws(
    () => toUnit({ value: 0.5, unit: 'pack' }, 'dispensing-unit', { productCode: 'X', netContent: 3 }, 'y'),
    BusinessRuleError,
    'half a pack of 3 is not whole units',
  );
  t.throws(
    () => toUnit({ value: 1, unit: 'pack' }, 'dispensing-unit', { productCode: 'X', netContent: 0 }, 'y'),
    /no pack size/,
  );
});
