import { BusinessRuleError } from '../../domain/errors.js';
import { resultsOf, type OpenMrsClient } from './client.js';
import { SM, type StockBatch } from './stock-reference.js';

/**
 * Whether a stock take may count a batch, judged on the server's date, not ours. The module works
 * out a stock take's difference from the balance its inventory search gives
 * (StockManagementServiceImpl.calculateStockIssueAdjustments with the default
 * StockItemInventorySearchFilter, requireNonExpiredStockBatches). That search leaves out batches
 * with `sb.expiration <= DateUtil.today()`, today being midnight in the server's own zone. So an
 * expired batch holds none there, and counting it would add the whole count on top of what it
 * holds. The module does not refuse this, so we must.
 *
 * The server's date is within a day of our UTC date, whatever its zone (UTC-12 to UTC+14). A
 * batch that expires further off is judged by the date alone. Near the boundary we ask the server:
 * the batch may be counted only if its own filter (`excludeExpired=true`, StockItemInventoryResource)
 * still lists the batch at this party. Such a batch that holds nothing here is refused too: the
 * search cannot tell it apart from an expired one, and counting stock into a batch on its last day
 * is rare.
 */
const UNSURE_DAYS = 1;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

export interface CountedBatch {
  partyUuid: string;
  stockItemUuid: string;
  batch: StockBatch;
  batchNo: string | undefined;
  drugName: unknown;
}

export async function countsNoExpiredBatch(
  client: OpenMrsClient,
  counted: CountedBatch,
  where: string,
  now = Date.now(),
): Promise<void> {
  const expiry = counted.batch.expiration?.slice(0, 10);
  if (!expiry || expiry > dayOf(now + UNSURE_DAYS * DAY_MS)) return;
  if (expiry >= dayOf(now - UNSURE_DAYS * DAY_MS) && (await serverListsUnexpired(client, counted))) return;
  throw new BusinessRuleError(
    `batch ${counted.batchNo ?? '(no number)'} of ${String(counted.drugName ?? 'this drug')} expired on ${expiry} ` +
      "(by the OpenMRS server's date): OpenMRS counts an expired batch as holding none in a stock take, so this count " +
      'would be added to what it holds; take expired stock out by a disposal in OpenMRS',
    where,
  );
}

/** Whether the module's default inventory search (unexpired batches only) lists the batch at the party. */
async function serverListsUnexpired(client: OpenMrsClient, counted: CountedBatch): Promise<boolean> {
  const body = await client.call<Json>({
    method: 'GET',
    path: `${SM}/stockiteminventory`,
    query: {
      partyUuid: counted.partyUuid,
      stockItemUuid: counted.stockItemUuid,
      groupBy: 'LocationStockItemBatchNo',
      includeBatchNo: true,
      excludeExpired: true,
      v: 'default',
    },
  });
  const rows = resultsOf<Json>(body, `${SM}/stockiteminventory`);
  return rows.some(
    (r) =>
      r.stockBatchUuid === counted.batch.uuid || (counted.batchNo !== undefined && r.batchNumber === counted.batchNo),
  );
}
