import { MediatorError, type Issue } from '../domain/errors.js';
import type { Json } from './codecs/common.js';
import { EXT } from './conventions.js';
import type { ResourceType } from './routes.js';
import type { FhirVersion } from './versions.js';

/**
 * Connectors name the field they refuse in domain terms (`Order.facility`,
 * `Order.lines[2].product`, `Delivery.identifier`), or in their own reading of the resource
 * (`InventoryReport.inventoryListing[0].item[3].countingDateTime` for line 3's reason). A client
 * needs the FHIRPath of the element it posted, so the edge, which knows which resource (and which
 * Bundle entry) each line came from, rewrites every expression of a refusal before answering.
 */
export interface PostedPart {
  /** The FHIR id of the part (an order or delivery line id), matched against domain line ids. */
  id: string;
  /** FHIRPath of the resource as posted: `SupplyRequest` or `Bundle.entry[3].resource`. */
  path: string;
  resource: Json;
}

type Translate = (expression: string) => string;

const ORDER_FIELDS: Record<string, (v: FhirVersion) => string> = {
  facility: () => 'deliverTo',
  supplier: () => 'deliverFrom',
  program: () => 'category',
  period: () => 'occurrencePeriod',
  orderNumber: () => 'identifier',
  identifier: () => 'identifier',
  priority: () => 'priority',
  status: () => 'status',
  authoredOn: () => 'authoredOn',
  requester: () => 'requester',
};
const ORDER_LINE_FIELDS: Record<string, (v: FhirVersion) => string> = {
  product: (v) => (v === 'r5' ? 'item.concept' : 'itemCodeableConcept'),
  quantity: () => 'quantity',
  explanation: (v) => (v === 'r5' ? 'reason' : 'reasonCode'),
  identifiers: () => 'identifier',
};
const DELIVERY_FIELDS: Record<string, string> = {
  identifier: 'identifier',
  destination: 'destination',
  basedOn: 'basedOn',
  supplier: 'supplier',
  status: 'status',
  occurredAt: 'occurrenceDateTime',
  receivedBy: 'receiver',
};
const DELIVERY_LINE_EXTENSIONS: Record<string, string[]> = {
  quantityShipped: [EXT.quantityShipped],
  quantityRejected: [EXT.quantityRejected],
  rejectionReason: [EXT.rejectionReason],
  lot: [EXT.lotNumber, EXT.lotExpiry],
  vvmStatus: [EXT.vvmStatus],
};

/** `a.b[2].c` → ['a', 'b[2]', 'c'] split at the first dot after the root. */
function splitRoot(expression: string, root: string): string | undefined {
  if (expression === root) return '';
  if (expression.startsWith(`${root}.`) || expression.startsWith(`${root}[`)) return expression.slice(root.length);
  return undefined;
}

function extensionPath(element: Json | undefined, elementPath: string, urls: string[]): string {
  const index = ((element?.extension ?? []) as Json[]).findIndex((e) => urls.includes(e?.url));
  return index >= 0 ? `${elementPath}.extension[${index}]` : `${elementPath}.extension`;
}

function orderTranslator(version: FhirVersion, parts: PostedPart[], lineIds: (string | undefined)[]): Translate {
  const first = parts[0];
  return (expression) => {
    const rest = splitRoot(expression, 'Order') ?? (expression === 'identifier' ? '.identifier' : undefined);
    if (rest === undefined) return rootedAt(expression, 'SupplyRequest', first.path);
    const line = /^\.lines\[(\d+)\](?:\.(\w+))?(.*)$/.exec(rest);
    if (line) {
      const part = parts.find((p) => p.id === lineIds[Number(line[1])]) ?? first;
      const field = line[2] ? ORDER_LINE_FIELDS[line[2]]?.(version) : undefined;
      return field ? `${part.path}.${field}${line[3]}` : part.path;
    }
    const field = /^\.(\w+)(.*)$/.exec(rest);
    const mapped = field ? ORDER_FIELDS[field[1]]?.(version) : undefined;
    return mapped ? `${first.path}.${mapped}` : first.path;
  };
}

function deliveryTranslator(version: FhirVersion, parts: PostedPart[], lineIds: (string | undefined)[]): Translate {
  const first = parts[0];
  const item = (k: number): { element: Json | undefined; path: string } => {
    if (version === 'r5')
      return { element: first.resource.suppliedItem?.[k], path: `${first.path}.suppliedItem[${k}]` };
    const part = parts.find((p) => p.id === lineIds[k]) ?? first;
    return { element: part.resource.suppliedItem, path: `${part.path}.suppliedItem` };
  };
  return (expression) => {
    const rest = splitRoot(expression, 'Delivery');
    if (rest === undefined) return rootedAt(expression, 'SupplyDelivery', first.path);
    const line = /^\.lines\[(\d+)\](?:\.(\w+))?(.*)$/.exec(rest);
    if (line) {
      const { element, path } = item(Number(line[1]));
      const field = line[2];
      if (!field) return path;
      if (field === 'product') return `${path}.itemCodeableConcept`;
      if (field === 'quantityAccepted') return `${path}.quantity`;
      const urls = DELIVERY_LINE_EXTENSIONS[field];
      return urls ? extensionPath(element, path, urls) : path;
    }
    if (rest === '.lines') return `${first.path}.suppliedItem`;
    const field = /^\.(\w+)/.exec(rest);
    const mapped = field ? DELIVERY_FIELDS[field[1]] : undefined;
    return mapped ? `${first.path}.${mapped}` : first.path;
  };
}

/** Domain line i of a report ↔ the i-th item of its listings, in order (decodeInventoryReport reads them so). */
function stockItems(report: Json, path: string): { element: Json; path: string }[] {
  return ((report.inventoryListing ?? []) as Json[]).flatMap((listing, li) =>
    ((listing?.item ?? []) as Json[]).map((element, ii) => ({
      element,
      path: `${path}.inventoryListing[${li}].item[${ii}]`,
    })),
  );
}

function stockTranslator(parts: PostedPart[]): Translate {
  const { path, resource } = parts[0];
  const items = stockItems(resource, path);
  const lineSuffix = (element: Json, at: string, suffix: string): string => {
    if (/^\.(item|product)\b/.test(suffix)) return `${at}.item.concept`;
    if (/^\.quantity\b/.test(suffix)) return `${at}.quantity`;
    // a line's count time is its listing's countingDateTime
    if (/^\.countedAt\b/.test(suffix)) return `${at.replace(/\.item\[\d+\]$/, '')}.countingDateTime`;
    // the connector points a reason problem at countingDateTime: the reason is the line's extension, else the report's
    if (/^\.(countingDateTime|reason)\b/.test(suffix)) {
      const own = ((element?.extension ?? []) as Json[]).findIndex((e) => e?.url === EXT.stockReason);
      if (own >= 0) return `${at}.extension[${own}]`;
      return resource.operationTypeReason ? `${path}.operationTypeReason` : `${at}.extension`;
    }
    if (/^\.(characteristic|lot)\b/.test(suffix)) return extensionPath(element, at, [EXT.lotNumber, EXT.lotExpiry]);
    return at;
  };
  return (expression) => {
    const line = /^(?:InventoryReport\.inventoryListing\[0\]\.item|StockReport\.lines)\[(\d+)\](.*)$/.exec(expression);
    if (line) {
      const item = items[Number(line[1])];
      return item ? lineSuffix(item.element, item.path, line[2]) : `${path}.inventoryListing`;
    }
    if (/^StockReport\.facility\b|^InventoryReport\.inventoryListing\.location$/.test(expression))
      return `${path}.inventoryListing[0].location`;
    if (/^InventoryReport\.inventoryListing\[0\]\.itemStatus$|^StockReport\.program\b/.test(expression))
      return `${path}.inventoryListing[0].item[0].category`;
    if (/^StockReport\.lines\b/.test(expression)) return `${path}.inventoryListing`;
    if (/^StockReport\.reason\b/.test(expression)) return `${path}.operationTypeReason`;
    if (/^StockReport\.period\b/.test(expression)) return `${path}.reportingPeriod`;
    if (/^StockReport\.reportedAt\b/.test(expression)) return `${path}.reportedDateTime`;
    return rootedAt(expression, 'InventoryReport', path);
  };
}

/**
 * An expression already rooted at the resource type, moved under the resource's posted path; the
 * bare `identifier` (the business key the outbox deduplicates on) to the resource's identifier;
 * anything else, the resource itself.
 */
function rootedAt(expression: string, type: string, path: string): string {
  const rest = splitRoot(expression, type);
  if (rest !== undefined) return `${path}${rest}`;
  if (expression === 'identifier') return `${path}.identifier`;
  if (expression.startsWith('Bundle.') || expression === '$this') return expression;
  return path;
}

/** R5 renamed two Location elements the connectors name by their R4 names. */
const LOCATION_R5_NAMES: Record<string, string> = { physicalType: 'form', telecom: 'contact' };

function locationTranslator(version: FhirVersion, path: string): Translate {
  return (expression) => {
    const rooted = rootedAt(expression.replace(/^Facility\b/, 'Location'), 'Location', path);
    if (version !== 'r5') return rooted;
    return rooted.replace(
      /^(.*?\.)(physicalType|telecom)\b/,
      (_m, head: string, name: string) => `${head}${LOCATION_R5_NAMES[name]}`,
    );
  };
}

/** The translator for one domain write made of these posted parts. */
export function fhirPathTranslator(
  version: FhirVersion,
  type: ResourceType,
  value: unknown,
  parts: PostedPart[],
): Translate {
  const lineIds = ((value as { lines?: { lineId?: string }[] })?.lines ?? []).map((l) => l.lineId);
  switch (type) {
    case 'SupplyRequest':
      return orderTranslator(version, parts, lineIds);
    case 'SupplyDelivery':
      return deliveryTranslator(version, parts, lineIds);
    case 'InventoryReport':
      return stockTranslator(parts);
    case 'Location':
      return locationTranslator(version, parts[0].path);
    default:
      return (expression) => rootedAt(expression, type, parts[0].path);
  }
}

/** A domain path opening a connector's diagnostics: `StockReport.lines[0].quantity: …`. */
const LEADING_DOMAIN_PATH = /^((?:Order|Delivery|StockReport|Facility)(?:\.[A-Za-z]+(?:\[\d+\])?)*)(?=: )/;

/**
 * Connectors open many refusals with the field they refuse, in their own terms; the client never
 * sent a `StockReport`, so that opening names the posted element too, as the expression does.
 */
function diagnosticsInPostedTerms(diagnostics: string, translate: Translate): string {
  const named = LEADING_DOMAIN_PATH.exec(diagnostics)?.[1];
  return named ? `${translate(named)}${diagnostics.slice(named.length)}` : diagnostics;
}

/** The same error with every issue's expression (and a diagnostics' opening path) as a FHIRPath of the posted resource. */
export function inPostedTerms(err: unknown, translate: Translate): unknown {
  if (!(err instanceof MediatorError)) return err;
  // a conflict without a named element is about the write's business key (the order or delivery number)
  const unnamed = (i: Issue) => translate(i.code === 'conflict' || i.code === 'duplicate' ? 'identifier' : '');
  const issues: Issue[] = err.issues.map((i) => ({
    ...i,
    diagnostics: diagnosticsInPostedTerms(i.diagnostics, translate),
    expression: i.expression?.length ? [...new Set(i.expression.map(translate))] : [unnamed(i)],
  }));
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as MediatorError, err);
  Object.defineProperty(copy, 'message', { value: err.message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: err.stack, writable: true, configurable: true });
  (copy as { issues: Issue[] }).issues = issues;
  return copy;
}

const ROOT_TYPE: Record<string, ResourceType> = {
  Order: 'SupplyRequest',
  SupplyRequest: 'SupplyRequest',
  Delivery: 'SupplyDelivery',
  SupplyDelivery: 'SupplyDelivery',
  StockReport: 'InventoryReport',
  InventoryReport: 'InventoryReport',
  Facility: 'Location',
  Location: 'Location',
};

/**
 * For a transaction's writes: an expression goes to the write of its resource type; when several
 * writes share that type, a line path goes to the one that has that line, else to the first.
 */
export function transactionTranslator(
  version: FhirVersion,
  writes: { type: string; value: unknown; parts: PostedPart[] }[],
): Translate {
  const translators = writes.map((w) => ({
    type: w.type,
    value: w.value,
    translate: fhirPathTranslator(version, w.type as ResourceType, w.value, w.parts),
  }));
  return (expression) => {
    const root = /^[A-Za-z]+/.exec(expression)?.[0] ?? '';
    const candidates = translators.filter((t) => t.type === ROOT_TYPE[root]);
    if (candidates.length === 0)
      return expression.startsWith('Bundle.') || !translators.length
        ? expression || 'Bundle.entry'
        : translators[0].translate(expression);
    const line = /\.lines\[(\d+)\]/.exec(expression);
    const fitting = line
      ? candidates.find((c) => ((c.value as { lines?: unknown[] })?.lines?.length ?? 0) > Number(line[1]))
      : undefined;
    return (fitting ?? candidates[0]).translate(expression);
  };
}
