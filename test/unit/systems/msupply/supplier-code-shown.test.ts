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

// A response requisition (fulfilment) with no supplier is made in the store of that code: a code
// that is no store was named raw in "facility store code|… is not an Open mSupply store".
async function fulfilmentRefusalWith(supplierCode: string): Promise<BusinessRuleError> {
  const rig = await startRig({ 'msupply.supplierCode': supplierCode });
  try {
    const forClinic = {
      ...order('F-1', [{ gtin: ORS, qty: 10 }]),
      facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'CL-WEST' } },
    };
    const err = await failure(rig.connector.fulfilment!.precheck(forClinic));
    if (rig.sb.state.requisitions.size > 0) throw new Error('a refused requisition was written');
    return err;
  } finally {
    await rig.close();
  }
}

t.test('a response requisition: a secret-looking supplier code is not echoed, a typo is', async (t) => {
  for (const secret of SECRETS) {
    const err = await fulfilmentRefusalWith(secret);
    t.ok(err instanceof BusinessRuleError, `${secret.length} characters: a business rule refusal`);
    t.equal(
      err.message,
      `the order names no supplier and msupply.supplierCode a value of ${secret.length} characters (not shown: it may be a secret in the wrong setting) is not an Open mSupply store (by store code)`,
    );
    t.notOk(textOf(err).includes(secret), `${secret.length} characters: in neither message nor issues`);
  }
  t.match(
    (await fulfilmentRefusalWith('WH-CENTRL')).message,
    "msupply.supplierCode 'WH-CENTRL' is not an Open mSupply store",
  );
});
