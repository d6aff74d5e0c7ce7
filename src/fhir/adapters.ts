import { randomUUID } from 'node:crypto';
import type { Delivery, Facility, Order, StockReport } from '../domain/index.js';
import type { Identifier } from '../domain/identifiers.js';
import { businessKey } from '../domain/business-key.js';
import { stableId } from '../domain/ids.js';
import { deliveryLineId, orderLineId } from '../domain/line-ids.js';
import type { Json } from './codecs/common.js';
import { decodeLocation, encodeLocation } from './codecs/location.js';
import { decodeSupplyRequest, encodeOrderLines } from './codecs/supply-request.js';
import { decodeSupplyDelivery, deliveryNumberOf, encodeDelivery } from './codecs/supply-delivery.js';
import { decodeInventoryReport, encodeInventoryReport } from './codecs/inventory-report.js';
import { InvalidInputError } from '../domain/errors.js';
import type { ResourceType } from './routes.js';
import type { FhirVersion } from './versions.js';
import { withJsonTextOf } from './json-text.js';
import { rememberHashedFrom, versionOfText } from './version-id.js';
import { withMembers } from './with-members.js';

/**
 * Bridges one resource type and its flow's domain object: encode (domain → resources, with meta),
 * decode one resource into a "part", and merge parts that belong together (the lines of one order
 * or one delivery) into the domain object the services write.
 */
export interface Part<T> {
  /** Parts with the same group key become one domain object. */
  groupKey: string;
  /** Whether the client named the group (an order / delivery number) or it is implicit. */
  explicitGroup: boolean;
  build(previous: T | undefined): T;
  /** The FHIR id this part will have. */
  id: string;
}

export interface ResourceAdapter<T> {
  encode(version: FhirVersion, value: T): Json[];
  decode(version: FhirVersion, resource: Json, path: string, mode: 'create' | 'update'): Part<T>;
  /**
   * The group key of a resource as this server reads it back, where it can be had without a full
   * decode (`decode(…).groupKey` otherwise): a read carries what a write may not (an Open mSupply
   * line of 2.505 packs), and that must not make the resource unchangeable.
   */
  groupKeyOf?(resource: Json): string | undefined;
}

const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * meta.versionId is a content hash, so the ETag of an object read live changes exactly when it
 * does: the hash of the resource's own JSON text without meta (version-id.ts), and that text with
 * meta put in is the answer's (json-text.ts), so the resource is walked once for both.
 * `hashed`: the rendering the version is hashed from, when not this one (releaseNeutral; a fresh
 * object of the caller's, whose meta is left out in place).
 */
export function withMeta(resource: Json, lastUpdated: string | undefined, hashed: Json = resource): Json {
  // The encoders put meta third (after resourceType and id) in the fresh object they return: it
  // is finished in place, with no copy (two object spreads cost about as much as the rest of
  // encoding a SupplyRequest).
  const finished = metaIsThird(resource) ? resource : withMetaThird(resource);
  finished.meta = undefined; // JSON.stringify leaves it out; the key keeps its place
  const text = JSON.stringify(finished);
  let versionId: string;
  if (hashed === resource) versionId = versionOfText(text);
  else {
    hashed.meta = undefined;
    versionId = versionOfText(JSON.stringify(hashed));
    rememberHashedFrom(finished, hashed);
  }
  const meta = plainMeta(versionId, lastUpdated);
  finished.meta = meta;
  const answer = textWithMeta(finished, text, meta);
  return answer === undefined ? finished : withJsonTextOf(finished, answer);
}

/** A copy with meta third (its value set by the caller): the spread only sets keys already there. */
function withMetaThird(resource: Json): Json {
  const { meta: _ignored, ...content } = resource;
  return { resourceType: resource.resourceType, id: resource.id, meta: undefined, ...content };
}

/**
 * JSON.stringify of the resource, from its text without meta: meta goes in third, after
 * resourceType and id (where the encoders and withMetaThird put it). Undefined when the text
 * does not start as expected (an id that is not a string): then the answer is stringified.
 */
function textWithMeta(resource: Json, text: string, meta: Json): string | undefined {
  if (typeof resource.resourceType !== 'string' || typeof resource.id !== 'string') return undefined;
  // a type name and a FHIR id need no escape; one that would is caught by startsWith
  const head = `{"resourceType":"${resource.resourceType}","id":"${resource.id}"`;
  if (!text.startsWith(head)) return undefined;
  return `${head},"meta":${metaText(meta)}${text.slice(head.length)}`;
}

/** An instant's characters: no escape needed between quotes. */
const INSTANT = /^[-0-9T:.Z+]*$/;

/** JSON.stringify(meta) of plainMeta's meta (a hex versionId, an instant), without a call into the runtime. */
function metaText(meta: Json): string {
  const { versionId, lastUpdated } = meta;
  return typeof lastUpdated === 'string' && INSTANT.test(lastUpdated)
    ? `{"versionId":"${versionId}","lastUpdated":"${lastUpdated}"}`
    : `{"versionId":"${versionId}","lastUpdated":${JSON.stringify(lastUpdated)}}`;
}

/**
 * A version is the state's, not a release's rendering of it: R5 spells some elements its own way
 * (Location `contact.telecom` and `form`, SupplyRequest `item.concept` and `reason`) for the same
 * state, and a hash of each rendering gave one state two versionIds, so a client reading on both
 * bases saw two versions of one, and an If-Match with the other base's ETag was a 412. Every R5
 * resource of these types has an R4 twin under the same id, rendered from the same value: R5's
 * are hashed from R4's (R4's ETags stay what they were). `r4` renders the value on R4.
 */
function releaseNeutral(version: FhirVersion, resources: Json[], r4: () => Json[], lastUpdated?: string): Json[] {
  if (version === 'r4') return finishMeta(resources, lastUpdated);
  const twins = new Map(r4().map((r) => [r.id, r]));
  return resources.map((r) => withMeta(r, lastUpdated, twins.get(r.id) ?? r));
}

function metaIsThird(resource: Json): boolean {
  const keys = Object.keys(resource);
  return keys[0] === 'resourceType' && keys[1] === 'id' && keys[2] === 'meta';
}

/**
 * meta as a plain object, its versionId hashed now. Sessions 11-12 hashed it lazily, in a getter
 * of an object literal, so that a search hashed only its returned page; but on this Node (20,
 * V8 11.3) a literal with a getter and a setter gets a map of its own, and making one cost more
 * than the hash it put off: per encoded SupplyRequest, 10.5 µs lazy and never read, 18.2 µs lazy
 * and read, 6.8 µs hashed at once (same run). So every encoding now hashes, and every meta is a
 * plain object, on JSON.stringify's fast path.
 */
function plainMeta(versionId: string, lastUpdated: string | undefined): Json {
  return { versionId, lastUpdated: lastUpdated ?? EPOCH };
}

function finishMeta(resources: Json[], lastUpdated: string | undefined): Json[] {
  return resources.map((r) => withMeta(r, lastUpdated));
}

const location: ResourceAdapter<Facility> = {
  encode: (version, f) =>
    releaseNeutral(version, [encodeLocation(version, f, {})], () => [encodeLocation('r4', f, {})], f.lastUpdated),
  decode(version, resource, path, mode) {
    const facility = decodeLocation(version, resource);
    const first = facility.identifiers[0];
    // a create needs a business key: without one a retried POST would make a second facility
    if (mode === 'create' && !first) {
      throw new InvalidInputError(
        'Location.identifier is required to create a facility (the code that makes a retried create find the first one); or PUT Location/[id] to create it under your id',
        `${path}.identifier`,
        422,
        'required',
      );
    }
    const id = mode === 'update' ? String(resource.id) : stableId('Location', first.system, first.value);
    return {
      groupKey: `Location/${id}`,
      explicitGroup: false,
      id,
      build: () => withMembers(facility, { id, lastUpdated: undefined }),
    };
  },
};

const supplyRequest: ResourceAdapter<Order> = {
  encode: (version, order) =>
    releaseNeutral(
      version,
      encodeOrderLines(version, order, () => ({})),
      () => encodeOrderLines('r4', order, () => ({})),
      order.lastUpdated,
    ),
  decode(version, resource, path, mode) {
    const { order, line, explicitOrderNumber } = decodeSupplyRequest(version, resource, path);
    const id = mode === 'update' ? String(resource.id) : orderLineId(order.orderNumber, line.product);
    const withId = withMembers(line, { lineId: id });
    return {
      id,
      explicitGroup: explicitOrderNumber,
      // the order's own business key: escaped, so orders `S`/`a|b` and `S|a`/`b` are two groups
      groupKey: businessKey('order', order.orderNumber),
      build(previous) {
        // a PUT of an order's only line describes the whole order, as it was first written: a
        // retried PUT then carries the same payload and is deduplicated, not a conflict with the
        // upstream's read-back (its own authoredOn, ids and statuses)
        if (!previous || previous.lines.every((l) => l.lineId === id)) return withMembers(order, { lines: [withId] });
        // one line of a standing order cancelled: the order goes on without it (an amendment)
        if (order.status === 'cancelled' && previous.status !== 'cancelled')
          return withMembers(previous, { lines: previous.lines.filter((l) => l.lineId !== id) });
        assertSameOrder(previous, order, path);
        if (
          previous.lines.some(
            (l) => l.product.system === line.product.system && l.product.code === line.product.code && l.lineId !== id,
          )
        ) {
          throw new InvalidInputError(
            `${path} orders ${line.product.code} a second time in order ${order.orderNumber.value}: one line per product`,
            `${path}.itemCodeableConcept`,
            422,
            'business-rule',
          );
        }
        return withMembers(previous, {
          ...occurrenceToAdopt(previous, order),
          lines: [...previous.lines.filter((l) => l.lineId !== id), withId],
        });
      },
    };
  },
};

/** Every line of one order must agree on the order-level fields. */
function assertSameOrder(a: Omit<Order, 'lines'>, b: Omit<Order, 'lines'>, path: string): void {
  const key = (o: Omit<Order, 'lines'>) =>
    JSON.stringify([
      o.facility.id ?? o.facility.identifier,
      o.supplier?.id ?? o.supplier?.identifier,
      o.program,
      o.priority,
      o.status,
    ]);
  if (key(a) !== key(b) || !sameOccurrence(a, b)) {
    throw new InvalidInputError(
      `${path} belongs to order ${b.orderNumber.value} but differs from its other lines in deliverTo, deliverFrom, category, priority, status or occurrence[x] (when the goods are needed)`,
      path,
      422,
      'business-rule',
    );
  }
}

/**
 * When the goods are needed is the order's (mSupply's expectedDeliveryDate, OpenMRS's remarks,
 * OpenLMIS's period), so lines naming different dates are two orders. Only dates both sides carry
 * are compared: an order read back from a system that keeps no date (or keeps only its day, as
 * Open mSupply does) must not make the client's own date a difference; and a period is compared
 * only between lines the client wrote, since OpenLMIS reads back its processing period instead.
 */
function sameOccurrence(previous: Omit<Order, 'lines'>, line: Omit<Order, 'lines'>): boolean {
  if (previous.neededBy !== undefined && line.neededBy !== undefined && !sameDay(previous.neededBy, line.neededBy))
    return false;
  if (previous.source || !previous.period || !line.period) return true;
  return previous.period.start === line.period.start && previous.period.end === line.period.end;
}

/**
 * Lines the client wrote together where only a later one says when the goods are needed: the
 * order takes that date, not the first line's silence (never over a date read back from a system).
 */
function occurrenceToAdopt(
  previous: Omit<Order, 'lines'>,
  line: Omit<Order, 'lines'>,
): Partial<Pick<Order, 'neededBy' | 'period'>> {
  if (previous.source || previous.neededBy !== undefined || previous.period !== undefined) return {};
  if (line.neededBy === undefined && line.period === undefined) return {};
  return { neededBy: line.neededBy, period: line.period };
}

/** Equal, or one a date and the other a time on that day (a system that keeps only the day). */
export function sameDay(a: string, b: string): boolean {
  if (a === b) return true;
  return (a.length === 10 || b.length === 10) && a.slice(0, 10) === b.slice(0, 10);
}

const deliveryGroupKey = (identifier: Identifier) => businessKey('delivery', identifier);

/** The id an R5 create of a delivery gets: its number's, so a resend of the create is the same write. */
const deliveryId = (identifier: Identifier) => stableId('SupplyDelivery', identifier.system, identifier.value);

const supplyDelivery: ResourceAdapter<Delivery> = {
  groupKeyOf(resource) {
    const { identifier } = deliveryNumberOf(resource);
    return identifier && deliveryGroupKey(identifier);
  },
  encode: (version, d) =>
    finishMeta(
      encodeDelivery(version, d, () => ({})),
      d.lastUpdated,
    ),
  decode(version, resource, path, mode) {
    const { delivery, lines, explicitNumber } = decodeSupplyDelivery(version, resource, path);
    const key = deliveryGroupKey(delivery.identifier);
    if (version === 'r5') {
      const id = mode === 'update' ? String(resource.id) : deliveryId(delivery.identifier);
      return { id, groupKey: key, explicitGroup: true, build: () => withMembers(delivery, { id, lines }) };
    }
    const line = lines[0];
    const id =
      mode === 'update' ? String(resource.id) : deliveryLineId(delivery.identifier, line.product, line.lot?.number);
    const withId = withMembers(line, { lineId: id });
    return {
      id,
      groupKey: key,
      explicitGroup: explicitNumber,
      build(previous) {
        // no id of ours: a delivery already upstream (an OpenLMIS proof of delivery) keeps the
        // upstream's id on R5 (withClientIds), which R5 clients may already hold (a69f218 gave it
        // the number's id: an R5 PUT by the proof of delivery's id became a 409)
        if (!previous) return withMembers(delivery, { id: undefined, lines: [withId] });
        const lineIds = [...(previous.basedOn?.lineIds ?? []), ...(delivery.basedOn?.lineIds ?? [])];
        return {
          ...previous,
          // the status sent: the delivery as read may be a queued write's pending view (in
          // progress), and a resend building on it differed from the write it resends
          status: delivery.status,
          // likewise the date received and receiver sent, not the read's: a change of them was dropped
          occurredAt: delivery.occurredAt ?? previous.occurredAt,
          receivedBy: delivery.receivedBy ?? previous.receivedBy,
          // a supplier stated on a later line only is kept too (the lines agree: bundle-delivery-lines)
          supplier: previous.supplier ?? delivery.supplier,
          basedOn:
            previous.basedOn || delivery.basedOn
              ? {
                  ...previous.basedOn,
                  ...delivery.basedOn,
                  lineIds: lineIds.length ? [...new Set(lineIds)] : undefined,
                }
              : undefined,
          lines: [...previous.lines.filter((l) => l.lineId !== id), withId],
        };
      },
    };
  },
};

const inventoryReport: ResourceAdapter<StockReport> = {
  encode: (_version, s) => finishMeta([encodeInventoryReport(s, {})], s.lastUpdated),
  decode(_version, resource, path, mode) {
    const report = decodeInventoryReport(resource, path);
    const id =
      mode === 'update'
        ? String(resource.id)
        : report.identifier
          ? stableId('InventoryReport', report.identifier.system, report.identifier.value)
          : randomUUID();
    return { id, groupKey: `InventoryReport/${id}`, explicitGroup: false, build: () => withMembers(report, { id }) };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each adapter has its own domain type
export const adapters: Record<ResourceType, ResourceAdapter<any>> = {
  Location: location,
  SupplyRequest: supplyRequest,
  SupplyDelivery: supplyDelivery,
  InventoryReport: inventoryReport,
};
