import t from 'tap';
import { parseConsignmentElements } from '../../../../src/systems/dhis2/consignments.js';
import { parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { loadUseCase } from '../../../../src/systems/dhis2/rts.js';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';

// The program settings' refusals quote a value only when it has the shape of a code: a password
// pasted into the wrong field (or a .env line shifted) must not be copied into the log, /ready or
// the OpenHIM console, which do not know it as a secret.
const SECRETS = ['Kx7Qz9WvPl', 'd2pat_Zt4kP0qL9sV2nR7wB1xY5cM3hJ8fG6dA', 'S3cr3t!Pass#2026'];
const ITEM = 'DeItemUid01';
const QTY = 'DeQtyUid001';
const REF = 'DeRefUid001';

function message(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

t.test('dhis2.requisitionProgram and dhis2.requisitionDataElements never echo a secret-looking value', async (t) => {
  for (const secret of SECRETS) {
    const cases: [string, () => unknown][] = [
      ['requisitionProgram', () => parseRequisitionProgram(secret, 'LkReqStage1', `EM_ORS=${QTY}`)],
      ['a data element', () => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', `EM_ORS=${secret}`)],
      ['a whole entry', () => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', secret)],
      ['an item code', () => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', `${secret}=x`)],
    ];
    for (const [field, f] of cases) {
      const m = message(f);
      t.notOk(m.includes(secret), `${field} given ${secret.length} characters: not in "${m}"`);
      t.match(m, new RegExp(`a value of ${secret.length} characters \\(not shown`), `${field}: described by length`);
      t.match(m, /dhis2\.requisition(Program|DataElements)/, `${field}: the setting is named`);
    }
  }
});

t.test('a requisition setting typo that looks like a code is still quoted', async (t) => {
  t.match(
    message(() => parseRequisitionProgram('RTS_REQUISITIONS', 'LkReqStage1', `EM_ORS=${QTY}`)),
    "dhis2.requisitionProgram must be a program UID, got 'RTS_REQUISITIONS'",
  );
  t.match(
    message(() => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', 'EM_ORS=DE_QTY_ORS')),
    "dhis2.requisitionDataElements: 'EM_ORS''s data element must be a UID, got 'DE_QTY_ORS'",
  );
  t.match(
    message(() => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', 'EM_ZNC20')),
    "dhis2.requisitionDataElements: 'EM_ZNC20' names no data element",
  );
  t.match(
    message(() => parseRequisitionProgram('LkRequisitn', 'LkReqStage1', `=${QTY}`)),
    'an entry has no item code',
  );
});

t.test('dhis2.consignmentProgram: a UID, else refused without echoing a secret-looking value', async (t) => {
  const spec = `item=${ITEM},quantity=${QTY},reference=${REF}`;
  for (const secret of SECRETS) {
    const m = message(() => parseConsignmentElements(secret, 'LkConStage1', spec));
    t.notOk(m.includes(secret), `${secret.length} characters: not in "${m}"`);
    t.match(m, `dhis2.consignmentProgram must be a program UID, got a value of ${secret.length} characters (not shown`);
  }
  t.match(
    message(() => parseConsignmentElements('CONSIGNMENTS', 'LkConStage1', spec)),
    "dhis2.consignmentProgram must be a program UID, got 'CONSIGNMENTS'",
    'a code typed in its place is quoted',
  );
});

t.test('dhis2.rtsProgram not among the RTS use cases: a UID quoted, a secret-looking value not', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.close());
  t.ok(await loadUseCase(h.client, RTS.program), 'the seed program is a use case');
  for (const secret of SECRETS) {
    const m = message2(await loadUseCase(h.client, secret).catch((e: unknown) => e));
    t.notOk(m.includes(secret), `${secret.length} characters: not in "${m}"`);
    t.match(m, `dhis2.rtsProgram a value of ${secret.length} characters (not shown`);
  }
  t.match(
    message2(await loadUseCase(h.client, 'LkRtsOther1').catch((e: unknown) => e)),
    "dhis2.rtsProgram 'LkRtsOther1' is not a stock use case",
    'another program UID is quoted',
  );
});

function message2(err: unknown): string {
  if (!(err instanceof Error)) throw new Error(`not an error: ${String(err)}`);
  return err.message;
}

t.test('dhis2.consignmentDataElements never echoes the setting, nor a secret-looking value in it', async (t) => {
  for (const secret of SECRETS) {
    const cases: [string, string][] = [
      ['the whole setting', secret],
      ['the item', `item=${secret},quantity=${QTY},reference=${REF}`],
      ['the reference', `item=${ITEM},quantity=${QTY},reference=${secret}`],
    ];
    for (const [field, spec] of cases) {
      const m = message(() => parseConsignmentElements('LkConsignmt', 'LkConStage1', spec));
      t.notOk(m.includes(secret), `${field} given ${secret.length} characters: not in "${m}"`);
      t.match(m, /^dhis2\.consignmentDataElements needs (item|quantity|reference)=<data element UID>/);
    }
  }
  t.match(
    message(() => parseConsignmentElements('LkConsignmt', 'LkConStage1', SECRETS[0])),
    '(it names no item)',
    'a setting without item= says so',
  );
  t.match(
    message(() =>
      parseConsignmentElements('LkConsignmt', 'LkConStage1', `item=${ITEM},quantity=${SECRETS[2]},reference=${REF}`),
    ),
    `(got quantity=a value of ${SECRETS[2].length} characters (not shown`,
  );
});

t.test('a consignment setting typo that looks like a code is still quoted', async (t) => {
  t.match(
    message(() =>
      parseConsignmentElements('LkConsignmt', 'LkConStage1', `item=${ITEM},quantity=DE_QTY,reference=${REF}`),
    ),
    "dhis2.consignmentDataElements needs quantity=<data element UID> (got quantity='DE_QTY')",
  );
  t.same(
    parseConsignmentElements('LkConsignmt', 'LkConStage1', `item=${ITEM},quantity=${QTY},reference=${REF}`),
    { program: 'LkConsignmt', stage: 'LkConStage1', item: ITEM, quantity: QTY, reference: REF, lot: undefined },
    'a well-formed setting is read as before',
  );
});
