import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import { ORS, order, startRig, failure } from './harness.js';

// msupply.supplierCode (the name code of an order's default supplier) went raw into "supplier name
// … (msupply.supplierCode) is not visible in Open mSupply store …", so into the client's
// OperationOutcome and the log: a password pasted into it was copied there in full. It is quoted
// only when it has a code's shape.
const SECRETS = ['Kx7Qz9WvPl', 'd2pat_Zt4kP0qL9sV2nR7wB1xY5cM3hJ8fG6dA', 'S3cr3t!Pass#2026'];

async function refusalWith(supplierCode: string): Promise<BusinessRuleError> {
  const rig = await startRig({ 'msupply.supplierCode': supplierCode });
  try {
    const err = await failure(rig.connector.orders!.precheck!(order('S-1', [{ gtin: ORS, qty: 1 }])));
    if (rig.sb.state.requisitions.size > 0) throw new Error('a refused order wrote a requisition');
    return err;
  } finally {
    await rig.close();
  }
}

const textOf = (err: BusinessRuleError) => `${err.message} ${JSON.stringify(err.issues)}`;

t.test('a secret-looking supplier code is never echoed in the refusal', async (t) => {
  for (const secret of SECRETS) {
    const err = await refusalWith(secret);
    t.ok(err instanceof BusinessRuleError, `${secret.length} characters: a business rule refusal`);
    t.equal(
      err.message,
      `supplier name a value of ${secret.length} characters (not shown: it may be a secret in the wrong setting) (msupply.supplierCode) is not visible in Open mSupply store HC-NORTH`,
    );
    t.notOk(textOf(err).includes(secret), `${secret.length} characters: in neither message nor issues`);
  }
});

t.test('a code with a typo, or one that is no supplier, is still quoted', async (t) => {
  t.equal(
    (await refusalWith('WH-CENTRL')).message,
    "supplier name 'WH-CENTRL' (msupply.supplierCode) is not visible in Open mSupply store HC-NORTH",
  );
  t.match(
    (await refusalWith('DONOR-1')).message,
    /^name 'DONOR-1' \(msupply\.supplierCode\) is not a supplier of Open/,
  );
});
