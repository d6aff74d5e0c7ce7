/**
 * A receipt from an external supplier into Kilima in the OpenMRS sandbox, submitted for approval
 * as the O3 stock app leaves it: what the receipt tests confirm as a SupplyDelivery. One builder
 * for what five test files each wrote out.
 */
import type { OpenMrsSandbox } from '../../sandbox/openmrs/index.js';

/** The stock party of the external supplier (sandbox seed). */
export const SUPPLIER_PARTY = 'e5d4c3b2-0000-4a1b-8c2d-3e4f50617280';
/** The stock party of Kilima Health Centre, which receives. */
const KILIMA_PARTY = 'e5d4c3b2-0003-4a1b-8c2d-3e4f50617283';

export interface ReceiptLine {
  /** The drug's uuid (sandbox DRUGS). */
  drug: string;
  batchNo: string;
  quantity: number;
  /** Default 2028-06-30. */
  expiration?: string;
}

/** The sandbox's stock item of a drug. */
export const stockItemOf = (sb: OpenMrsSandbox, drug: string): string =>
  [...sb.stock.items.values()].find((i) => i.drugUuid === drug)!.uuid;

/** The receipt of `lines` into Kilima, created by the admin and submitted: its operation. */
export function submittedReceipt(sb: OpenMrsSandbox, lines: ReceiptLine[]) {
  const receipt = sb.stock.create(
    {
      operationTypeUuid: sb.stock.typeUuid('receipt'),
      sourceUuid: SUPPLIER_PARTY,
      destinationUuid: KILIMA_PARTY,
      operationDate: '2026-12-01T07:00:00.000+0000',
      stockOperationItems: lines.map((l) => ({
        stockItemUuid: stockItemOf(sb, l.drug),
        batchNo: l.batchNo,
        expiration: l.expiration ?? '2028-06-30',
        quantity: l.quantity,
      })),
    },
    sb.store.userByName('admin')!,
    true,
  );
  sb.stock.act({ name: 'SUBMIT', uuid: receipt.uuid }, true);
  return receipt;
}
