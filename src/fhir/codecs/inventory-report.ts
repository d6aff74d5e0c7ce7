import { productOfItem } from './item-reference.js';
import type { StockLine, StockReport } from '../../domain/stock.js';
import { InvalidInputError } from '../../domain/errors.js';
import { EXT } from '../conventions.js';
import {
  codeToConcept,
  compact,
  conceptToCode,
  facilityRefFromFhir,
  facilityRefToFhir,
  identifierToFhir,
  identifiersFromFhir,
  lotExtensions,
  lotFromExtensions,
  productToConcept,
  quantityFromFhir,
  quantityToFhir,
  requireFacility,
  type Json,
} from './common.js';

function byCountingTime(lines: StockLine[]): [string | undefined, StockLine[]][] {
  const groups = new Map<string | undefined, StockLine[]>();
  for (const l of lines) groups.set(l.countedAt, [...(groups.get(l.countedAt) ?? []), l]);
  return groups.size ? [...groups] : [[undefined, []]];
}

/** InventoryReport exists in R5 only (reference/fhir.md §2.4), so it has one codec. */
export function encodeInventoryReport(s: StockReport, meta: Json): Json {
  return compact({
    resourceType: 'InventoryReport',
    id: s.id,
    meta,
    identifier: s.identifier ? [identifierToFhir(s.identifier)] : undefined,
    status: s.status,
    countType: s.countType,
    operationType: s.operation ? { coding: [{ code: s.operation, display: s.operation }] } : undefined,
    operationTypeReason: s.reason ? codeToConcept(s.reason) : undefined,
    reportedDateTime: s.reportedAt,
    reporter: s.reporter ? { display: s.reporter } : undefined,
    // member by member, not a spread: one state, one text (version-id.ts), whatever its key order
    reportingPeriod:
      s.period && (s.period.start || s.period.end) ? compact({ start: s.period.start, end: s.period.end }) : undefined,
    // one listing per counting time, so the client's countingDateTime reads back as it was sent
    inventoryListing: byCountingTime(s.lines).map(([countedAt, lines]) =>
      compact({
        location: facilityRefToFhir(s.facility),
        countingDateTime: countedAt,
        item: lines.map((l) =>
          compact({
            extension: [
              ...lotExtensions(l.lot),
              ...(l.reason
                ? [
                    {
                      url: EXT.stockReason,
                      valueCoding: compact({ system: l.reason.system, code: l.reason.code, display: l.reason.display }),
                    },
                  ]
                : []),
              ...(l.itemStats
                ? [
                    {
                      url: EXT.averageMonthlyConsumption,
                      valueQuantity: quantityToFhir(l.itemStats.averageMonthlyConsumption),
                    },
                  ]
                : []),
              ...(l.itemStats?.monthsOfStock !== undefined
                ? [{ url: EXT.monthsOfStock, valueDecimal: l.itemStats.monthsOfStock }]
                : []),
            ],
            category: l.itemStatus ? codeToConcept(l.itemStatus) : undefined,
            quantity: quantityToFhir(l.quantity),
            item: { concept: productToConcept(l.product) },
          }),
        ),
      }),
    ),
    note: s.note ? [{ text: s.note }] : undefined,
  });
}

export function decodeInventoryReport(r: Json, path = 'InventoryReport'): StockReport {
  const listings: Json[] = r.inventoryListing ?? [];
  if (listings.length === 0)
    throw new InvalidInputError(
      `${path}.inventoryListing is required: the counted items`,
      `${path}.inventoryListing`,
      422,
      'required',
    );
  const facilities = new Set(listings.map((l) => JSON.stringify(l.location ?? null)));
  if (facilities.size > 1)
    throw new InvalidInputError(
      `${path}.inventoryListing must all be for one location (post one report per facility)`,
      `${path}.inventoryListing`,
      422,
      'business-rule',
    );
  const facility = requireFacility(
    facilityRefFromFhir(listings[0].location, `${path}.inventoryListing[0].location`),
    `${path}.inventoryListing[0].location`,
  );
  const countType = r.countType as 'snapshot' | 'difference';
  const lines: StockLine[] = [];
  listings.forEach((listing, li) => {
    (listing.item ?? []).forEach((item: Json, ii: number) => {
      const itemPath = `${path}.inventoryListing[${li}].item[${ii}]`;
      const quantity = quantityFromFhir(item.quantity, `${itemPath}.quantity`);
      if (countType === 'snapshot' && quantity.value < 0)
        throw new InvalidInputError(
          `${itemPath}.quantity.value is negative; a snapshot counts stock on hand (≥ 0)`,
          `${itemPath}.quantity.value`,
          422,
          'value',
        );
      if (!Number.isInteger(quantity.value))
        throw new InvalidInputError(
          `${itemPath}.quantity.value must be a whole number of units`,
          `${itemPath}.quantity.value`,
          422,
          'value',
        );
      const reason = (item.extension ?? []).find((e: Json) => e.url === EXT.stockReason)?.valueCoding;
      lines.push(
        compact({
          product: productOfItem(
            r,
            { concept: item.item?.concept, reference: item.item?.reference },
            `${itemPath}.item.concept`,
            `${itemPath}.item.reference`,
          ),
          quantity,
          lot: lotFromExtensions(item),
          reason: reason ? compact({ system: reason.system, code: reason.code, display: reason.display }) : undefined,
          itemStatus: conceptToCode(item.category ?? listing.itemStatus),
          countedAt: listing.countingDateTime,
        }) as StockLine,
      );
    });
  });
  if (lines.length === 0)
    throw new InvalidInputError(
      `${path}.inventoryListing[0].item is required: at least one counted item`,
      `${path}.inventoryListing[0].item`,
      422,
      'required',
    );
  const op = r.operationType?.coding?.find((c: Json) => c.code === 'addition' || c.code === 'subtraction')?.code;
  return compact({
    id: r.id,
    identifier: identifiersFromFhir(r.identifier)[0],
    status: r.status,
    countType,
    reportedAt: r.reportedDateTime,
    period: r.reportingPeriod ? compact({ start: r.reportingPeriod.start, end: r.reportingPeriod.end }) : undefined,
    facility,
    operation: op,
    reason: conceptToCode(r.operationTypeReason),
    reporter: r.reporter?.display,
    note: r.note?.map((n: Json) => n.text).join('\n'),
    lines,
  }) as StockReport;
}
