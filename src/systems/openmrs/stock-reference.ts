import { BusinessRuleError } from '../../domain/errors.js';
import { ExpiringCache } from '../../upstream/expiring-cache.js';
import { getOrAbsent } from '../../upstream/lookup.js';
import { REST, type OpenMrsClient, type OpenMrsRequest } from './client.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';
import { objectAnswer } from './object-answer.js';

/**
 * Stock management module metadata, looked up live and cached a few minutes: the stock party of
 * a location, the stock item of a drug, operation type uuids and adjustment reason concepts
 * (openmrs/openmrs-module-stockmanagement: Party, StockItem, StockOperationType; reasons are concepts).
 */
export const SM = `${REST}/stockmanagement`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

export interface StockBatch {
  uuid: string;
  /** The batch's expiry date (YYYY-MM-DD as OpenMRS writes it), if it has one. */
  expiration?: string;
}

export interface StockReference {
  /** The party standing for a location; a 422 naming `where` when the location holds no stock. */
  partyOf(locationUuid: string, where: string): Promise<Json>;
  party(uuid: string): Promise<Json | undefined>;
  stockItemOf(drugUuid: string, where: string): Promise<Json>;
  stockItem(uuid: string): Promise<Json | undefined>;
  /** The item's batch with this number (none: the batch without one): uuid and expiry; a 422 naming `where`. */
  batchOf(item: Json, batchNo: string | undefined, where: string, expiry?: string): Promise<StockBatch>;
  operationType(type: string): Promise<string>;
  reasonUuid(name: string, where: string): Promise<string>;
  clear(): void;
}

export function createStockReference(client: OpenMrsClient, ttlMs = 300_000): StockReference {
  const cache = new ExpiringCache(() => ttlMs);
  const parties = () => cache.get('parties', () => client.all<Json>({ path: `${SM}/party`, query: { v: 'default' } }));
  const items = (drugUuid: string) =>
    cache.get(`item|${drugUuid}`, () =>
      client.all<Json>({ path: `${SM}/stockitem`, query: { drugUuid, v: 'default' } }),
    );
  return {
    async partyOf(locationUuid, where) {
      const p = (await parties()).find((x) => x.locationUuid === locationUuid && x.voided !== true);
      if (!p)
        throw new BusinessRuleError(
          `OpenMRS location ${locationUuid} is not a stock party in the stock management module (no stock is kept there)`,
          where,
        );
      return p;
    },
    async party(uuid) {
      return (await parties()).find((x) => x.uuid === uuid);
    },
    async stockItemOf(drugUuid, where) {
      const item = (await items(drugUuid)).find((x) => x.drugUuid === drugUuid && x.voided !== true);
      if (!item)
        throw new BusinessRuleError(
          `OpenMRS has no stock item for drug ${drugUuid} (products.json codes.openmrs)`,
          where,
        );
      return item;
    },
    async stockItem(uuid) {
      // a 404 is none; an answer without a uuid (a gateway's page) is no answer (objectAnswer:
      // transient), never cached as none: a line read past for it was a delivery without that line
      const path = `${SM}/stockitem/${uuid}`;
      return cache.get(`item-by-uuid|${uuid}`, async () => {
        const item = objectAnswer(await getOrAbsent<Json, OpenMrsRequest>(client, { path }), path, uuid);
        return item?.uuid === uuid ? item : undefined;
      });
    },
    // not cached: a receipt makes a batch, and a count of it may follow at once
    async batchOf(item, batchNo, where, expiry) {
      const batches = await client.all<Json>({
        path: `${SM}/stockbatch`,
        query: { stockItemUuid: String(item.uuid), v: 'default' },
      });
      const wanted = batchNo?.trim().toLowerCase() ?? '';
      const found = batches.filter(
        (b) =>
          b.voided !== true &&
          String(b.batchNo ?? '')
            .trim()
            .toLowerCase() === wanted,
      );
      // the module keeps one batch per number and expiry (findStockBatch): the expiry tells two apart
      const dated = found.filter((b) => expiry && String(b.expiration ?? '').slice(0, 10) === expiry.slice(0, 10));
      if (found.length === 1 || dated.length === 1) {
        const batch = (dated.length === 1 ? dated : found)[0];
        return {
          uuid: String(batch.uuid),
          expiration: typeof batch.expiration === 'string' ? batch.expiration.slice(0, 10) : undefined,
        };
      }
      const drug = String(item.drugName ?? item.uuid);
      throw new BusinessRuleError(
        found.length > 1
          ? `OpenMRS has ${found.length} batches ${batchNo} of ${drug}: the line needs the lot's expiry (its lot-expiry extension) to tell them apart`
          : batchNo
            ? `OpenMRS has no batch ${batchNo} of ${drug}: a batch is made by receiving it, then it can be counted or adjusted`
            : `${drug} is kept by batch in OpenMRS: the line needs its lot number (its lot-number extension)`,
        where,
      );
    },
    operationType(type) {
      return cache.get(`type|${type}`, async () => {
        const found = (await client.all<Json>({ path: `${SM}/stockoperationtype`, query: { v: 'default' } })).find(
          (t) => t.operationType === type,
        );
        if (!found)
          throw makeOpenMrsError({
            system: OPENMRS,
            transient: false,
            status: 502,
            code: 'not-found',
            diagnostics: `the OpenMRS stock management module has no '${type}' operation type`,
          });
        return String(found.uuid);
      });
    },
    async reasonUuid(name, where) {
      const found = (
        await cache.get(`reason|${name}`, () =>
          client.all<Json>({ path: `${REST}/concept`, query: { q: name, v: 'default' } }),
        )
      ).find(
        (c) =>
          String(c.display ?? c.name ?? '')
            .trim()
            .toLowerCase() === name.trim().toLowerCase(),
      );
      if (!found)
        throw new BusinessRuleError(
          `'${name}' is not an adjustment reason OpenMRS knows (a concept of that name)`,
          where,
        );
      return String(found.uuid);
    },
    clear: () => cache.clear(),
  };
}

/**
 * The packaging unit a stock operation line names for a quantity in dispensing units. The module
 * refuses a line with a quantity and no known `stockItemPackagingUOMUuid` ("Stock item uom null not
 * found", StockManagementServiceImpl.saveStockOperation); our quantities are in dispensing units
 * (products.json), which is the item's `dispensingUnitPackagingUoMUuid` (StockItemResource default
 * representation). An item without one cannot take a write: a 422 naming `where`.
 */
export function dispensingUomOf(item: Json, where: string): string {
  const uom = item.dispensingUnitPackagingUoMUuid;
  if (typeof uom === 'string' && uom) return uom;
  throw new BusinessRuleError(
    `OpenMRS stock item ${String(item.drugName ?? item.uuid)} has no packaging unit for its dispensing unit: ` +
      'add one in the stock management app before stock can be written for it',
    where,
  );
}
