/**
 * The DHIS2 sandbox checks a value against its data element's value type as dhis2-core does
 * (ValidationUtils.dataValueIsValid, MathUtils.isNegativeInteger `^-[1-9]\d*$`): a value of an
 * INTEGER_NEGATIVE data element that is not a negative whole number is a conflict (E7619) and the
 * other values of the import are kept. It took any value for that type, so a refusal an
 * implementer meets on a real server could not be shown through the sandbox.
 */
import t from 'tap';
import { SEED_API_TOKEN, startDhis2Sandbox } from '../../../../sandbox/dhis2/index.js';

t.test('an INTEGER_NEGATIVE data element takes only negative whole numbers', async (t) => {
  const sb = await startDhis2Sandbox({ version: '2.41.3' });
  t.teardown(() => sb.close());
  const losses = [...sb.state.dataElements.values()].find((d) => d.code === 'FP_DMPA_ADJ')!;
  losses.valueType = 'INTEGER_NEGATIVE';
  const post = async (value: string) => {
    const res = await fetch(`${sb.url}/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE`, {
      method: 'POST',
      headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        dataSet: 'LkStockMnth',
        period: '202403',
        orgUnit: 'LK-HC-101',
        dataValues: [
          { dataElement: 'FP_CNDM_SOH', value: '10' },
          { dataElement: 'FP_DMPA_ADJ', value },
        ],
      }),
    });
    return (await res.json()) as { status: string; response: { conflicts: any[]; importCount: any } };
  };
  for (const value of ['4', '0', '-0', '-1.5']) {
    const refused = await post(value);
    t.equal(refused.status, 'WARNING', `${value}: a warning`);
    t.same(
      refused.response.conflicts.map((c) => [c.errorCode, c.indexes]),
      [['E7619', [1]]],
      `${value}: refused at its index`,
    );
  }
  const taken = await post('-4');
  t.equal(taken.status, 'OK', '-4 is taken');
  t.same(taken.response.conflicts, []);
  t.equal(
    [...sb.state.dataValues.values()].find((v) => v.dataElement === losses.id)?.value,
    '-4',
    'the negative value is held',
  );
});
