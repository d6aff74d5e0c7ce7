import t from 'tap';
import { createDhis2Connector } from '../../../../src/systems/dhis2/index.js';
import { MONTHLY_DATA_SET, RTS, SEED_API_TOKEN, startDhis2Sandbox } from '../../../../sandbox/dhis2/index.js';

// dhis2.rtsProgram and dhis2.dataSet go into request paths (/api/programs/{uid}, /api/dataSets/{uid})
// and queries (dataSet=): a password pasted into one of them would be sent to DHIS2 and come back
// in error text, the log and OpenHIM orchestrations, which record the upstream URL. They are
// refused at configuration unless they are UIDs, quoted only when they have a UID's or code's shape.
const SECRETS = ['Kx7Qz9WvPl', 'd2pat_Zt4kP0qL9sV2nR7wB1xY5cM3hJ8fG6dA', 'S3cr3t!Pass#2026'];
const SETTINGS = [
  ['dhis2.rtsProgram', 'the RTS program'],
  ['dhis2.dataSet', 'a data set'],
] as const;

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

/** Every path the sandbox was asked for, as it received it (percent-encoded or not). */
const askedPaths = (hits: Map<string, number>) => [...hits.keys()].join('\n');

t.test('a secret-looking program or data set is refused at configuration, never echoed', async (t) => {
  const sandbox = await startDhis2Sandbox();
  t.teardown(() => sandbox.close());
  const base = { 'dhis2.baseUrl': sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN };
  for (const [key, what] of SETTINGS) {
    for (const secret of SECRETS) {
      const m = refusal(() => createDhis2Connector({ ...base, [key]: secret }));
      t.notOk(m.includes(secret), `${key} given ${secret.length} characters: not in "${m}"`);
      t.equal(
        m,
        `${key} must be ${what} UID, got a value of ${secret.length} characters (not shown: it may be a secret in the wrong setting)`,
      );
    }
    t.equal(
      refusal(() => createDhis2Connector({ ...base, [key]: 'STOCK_PROGRAM' })),
      `${key} must be ${what} UID, got 'STOCK_PROGRAM'`,
      `${key}: a code typed in place of the UID is quoted`,
    );
  }
  t.equal(sandbox.state.hits.size, 0, 'no connector was built: nothing was asked of DHIS2');
});

t.test('a refused reconfigure keeps the UIDs in force: they still reach DHIS2, the secret never', async (t) => {
  const sandbox = await startDhis2Sandbox();
  t.teardown(() => sandbox.close());
  const good = {
    'dhis2.baseUrl': sandbox.url,
    'dhis2.apiToken': SEED_API_TOKEN,
    'dhis2.rtsProgram': RTS.program,
    'dhis2.dataSet': MONTHLY_DATA_SET.id,
  };
  const dhis2 = createDhis2Connector(good, { retries: 0 });
  t.teardown(() => dhis2.close?.());
  for (const [key] of SETTINGS) {
    for (const secret of SECRETS) {
      const m = refusal(() => dhis2.reconfigure?.({ ...good, [key]: secret }));
      t.notOk(m.includes(secret), `${key}: ${secret.length} characters not in "${m}"`);
    }
  }
  const stock = dhis2.stock as NonNullable<typeof dhis2.stock> & { periodType(): Promise<string> };
  t.equal(await stock.periodType(), 'Monthly', "the data set's period type, read by its UID");
  const hc = sandbox.state.summary().orgUnits['LK-HC-101'];
  const { items } = await stock.search({
    facility: hc,
    date: [{ from: '2024-03-01T00:00:00Z', to: '2024-03-31T23:59:59Z' }],
  });
  t.ok(items.length > 0, 'RTS transactions of the program in force are read');
  const asked = askedPaths(sandbox.state.hits);
  t.match(asked, `GET /api/programs/${RTS.program}`, 'the RTS program is asked for by its UID');
  t.match(asked, `GET /api/dataSets/${MONTHLY_DATA_SET.id}`, 'the data set is asked for by its UID');
  for (const secret of SECRETS) {
    t.notOk(asked.includes(secret), `${secret.length} characters: in no path asked`);
    t.notOk(asked.includes(encodeURIComponent(secret)), `${secret.length} characters: not encoded in a path either`);
  }
});
