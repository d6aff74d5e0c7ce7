import t from 'tap';
import { ConfigError, loadSettings } from '../../../../src/config/load.js';
import { settingDefs } from '../../../../src/config/settings.js';
import type { StockReport } from '../../../../src/domain/index.js';
import { createDhis2Connector } from '../../../../src/systems/dhis2/index.js';
import { PERIOD_TYPES } from '../../../../src/systems/dhis2/periods.js';
import { SEED_API_TOKEN, startDhis2Sandbox } from '../../../../sandbox/dhis2/index.js';
import { memoryJournal } from './harness.js';

// dhis2.periodType (the period stock values are written for when no data set is set) was never
// checked: any value reached periodOf at the first stock report, whose refusal quoted it in the
// client's OperationOutcome and the log. A password pasted into it was copied there in full. It is
// now refused at configuration unless it is a period type periodOf makes, quoted only as a word.
const SECRETS = ['Kx7Qz9WvPl', 'd2pat_Zt4kP0qL9sV2nR7wB1xY5cM3hJ8fG6dA', 'S3cr3t!Pass#2026'];
const TYPES = 'Daily, Weekly, Monthly, BiMonthly, Quarterly, SixMonthly, Yearly';
const hidden = (s: string) => `a value of ${s.length} characters (not shown: it may be a secret in the wrong setting)`;

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

function envRefusal(value: string): string {
  try {
    loadSettings({ AUTH_MODE: 'off', DHIS2_PERIOD_TYPE: value });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('no error thrown');
}

const weekly = (quantity: number): StockReport => ({
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2024-03-08T10:00:00Z',
  period: { start: '2024-03-06T00:00:00Z' },
  facility: {
    identifier: {
      system: 'http://fhir-supply-mediator.org/fhir/identifier/openlmis-facility-code',
      value: 'LK-HC-101',
    },
  },
  lines: [
    {
      product: { system: 'https://www.gs1.org/gtin', code: '10860012300041' },
      quantity: { value: quantity, unit: 'dispensing-unit' },
    },
  ],
});

t.test('the settings table accepts exactly the period types stock reports are written for', async (t) => {
  t.same(settingDefs.find((d) => d.key === 'dhis2.periodType')?.enum, [...PERIOD_TYPES]);
  t.equal(PERIOD_TYPES.join(', '), TYPES);
});

t.test('a secret-looking period type is refused at configuration, never echoed', async (t) => {
  const sandbox = await startDhis2Sandbox();
  t.teardown(() => sandbox.close());
  const base = { 'dhis2.baseUrl': sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN };
  for (const secret of SECRETS) {
    const m = refusal(() => createDhis2Connector({ ...base, 'dhis2.periodType': secret }));
    t.notOk(m.includes(secret), `connector, ${secret.length} characters: not in "${m}"`);
    t.equal(m, `dhis2.periodType must be one of ${TYPES}, got ${hidden(secret)}`);
    const e = envRefusal(secret);
    t.notOk(e.includes(secret), `DHIS2_PERIOD_TYPE, ${secret.length} characters: not in "${e}"`);
    t.match(e, `dhis2.periodType must be one of ${TYPES}, got ${hidden(secret)}`);
  }
  t.equal(sandbox.state.hits.size, 0, 'no connector was built: nothing was asked of DHIS2');
});

t.test('a typo in the period type is quoted, so it is found at a glance', async (t) => {
  const sandbox = await startDhis2Sandbox();
  t.teardown(() => sandbox.close());
  const base = { 'dhis2.baseUrl': sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN };
  for (const typo of ['Monthy', 'monthly', 'FinancialApril']) {
    t.equal(
      refusal(() => createDhis2Connector({ ...base, 'dhis2.periodType': typo })),
      `dhis2.periodType must be one of ${TYPES}, got '${typo}'`,
      `connector: '${typo}' quoted`,
    );
    t.match(envRefusal(typo), `got '${typo}'`, `DHIS2_PERIOD_TYPE: '${typo}' quoted`);
  }
});

t.test('a valid period type writes its periods; a refused reconfigure keeps it in force', async (t) => {
  const sandbox = await startDhis2Sandbox();
  t.teardown(() => sandbox.close());
  const good = { 'dhis2.baseUrl': sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN, 'dhis2.periodType': 'Weekly' };
  t.equal(loadSettings({ AUTH_MODE: 'off', DHIS2_PERIOD_TYPE: 'Weekly' })['dhis2.periodType'], 'Weekly');
  const dhis2 = createDhis2Connector(good, { retries: 0 });
  t.teardown(() => dhis2.close?.());
  for (const secret of SECRETS) {
    const m = refusal(() => dhis2.reconfigure?.({ ...good, 'dhis2.periodType': secret }));
    t.notOk(m.includes(secret), `reconfigure, ${secret.length} characters: not in "${m}"`);
  }
  const stock = dhis2.stock as NonNullable<typeof dhis2.stock> & { periodType(): Promise<string> };
  t.equal(await stock.periodType(), 'Weekly', 'no data set: the setting in force');
  const result = await stock.report(weekly(7), memoryJournal());
  t.match(result.status, /^accepted 1 /);
  const s = sandbox.state.summary();
  const value = sandbox.state.dataValues.get(
    sandbox.state.valueKey({
      dataElement: s.dataElements['FP_IMPL_SOH'],
      period: '2024W10',
      orgUnit: s.orgUnits['LK-HC-101'],
      categoryOptionCombo: 'HllvX50cXC0',
      attributeOptionCombo: 'HllvX50cXC0',
    }),
  )?.value;
  t.equal(value, '7', '6 March 2024 is in ISO week 10: written for 2024W10');
});
