/**
 * Session 39 (issue 18) settles most strings and codes of a valid body before the slower check:
 * a string is trimmed only when its first character could be a space, an element name is matched
 * against the date names only when its value looks like a date, a top-level code is looked up
 * without valuesAt, and the SupplyRequest decoder sets members one by one instead of compact().
 * These pin what each fast path must not change: every refusal still found, with its path.
 */
import t from 'tap';
import { decodeSupplyRequest } from '../../../src/fhir/codecs/supply-request.js';
import { validateResource } from '../../../src/fhir/validation/index.js';
import { walkResource } from '../../../src/fhir/validation/walk.js';
import { supplyRequest } from '../../support/samples.js';

t.test('strings of Unicode spaces alone are empty; a space after text is not', async (t) => {
  const body = {
    resourceType: 'Basic',
    a: '\u3000',
    b: '\u00a0\t',
    c: '\ufeff',
    d: 'x ',
    e: '',
  };
  const { empty } = walkResource(body, 'Basic');
  t.same(
    empty.map((i) => i.expression),
    [['Basic.a'], ['Basic.b'], ['Basic.c'], ['Basic.e']],
  );
});

t.test('a date-shaped reference is still checked as a reference', async (t) => {
  const { semantic } = walkResource({ resourceType: 'Basic', subject: { reference: '2026-11-20' } }, 'Basic');
  t.same(
    semantic.map((i) => i.expression),
    [['Basic.subject.reference']],
  );
  t.match(semantic[0]?.diagnostics, /is not a FHIR reference/);
});

t.test('a date element with an impossible date is refused; one with another value is left to the schema', async (t) => {
  const { semantic } = walkResource(
    { resourceType: 'Basic', authoredOn: '2026-02-30', created: '2026-02-30', recordedDate: 'soon' },
    'Basic',
  );
  t.same(
    semantic.map((i) => i.expression),
    [['Basic.authoredOn']],
  );
});

for (const version of ['r4', 'r5'] as const) {
  t.test(`${version}: a code outside its required value set is refused at the element`, async (t) => {
    const issues = validateResource(version, { ...supplyRequest({ r5: version === 'r5' }), priority: 'whenever' });
    t.same(
      issues.map((i) => [i.code, i.expression]),
      [['code-invalid', ['SupplyRequest.priority']]],
      JSON.stringify(issues),
    );
  });
}

t.test('the decoded order and line keep their members and their order', async (t) => {
  const r = {
    ...supplyRequest({ id: 'line-1' }),
    itemCodeableConcept: {
      coding: [
        { system: 'https://www.gs1.org/gtin', code: '00012345600012' },
        { system: 'urn:local', code: 'AMX', display: 'Amoxicillin' },
      ],
    },
    deliverTo: { reference: 'Location/fac-1', display: 'Clinic' },
    requester: { display: 'Nurse' },
  };
  const { order, line } = decodeSupplyRequest('r4', r);
  t.same(Object.keys(order), ['orderNumber', 'status', 'priority', 'facility', 'program', 'requester', 'authoredOn']);
  t.same(order.facility, { id: 'fac-1', display: 'Clinic' });
  t.same(Object.keys(order.facility), ['id', 'display']);
  t.same(Object.keys(line), ['lineId', 'product', 'quantity']);
  t.same(line.product, {
    system: 'https://www.gs1.org/gtin',
    code: '00012345600012',
    display: 'Amoxicillin',
    alternatives: [{ system: 'urn:local', code: 'AMX' }],
  });
  const plain = decodeSupplyRequest('r4', supplyRequest());
  t.same(Object.keys(plain.line.product), ['system', 'code', 'display'], 'no empty list of alternatives');
});
