import { eqFilter, withValue } from './tracker-filter.js';
import { shownValue } from '../../config/shown-value.js';
import { deliveryLineId } from '../../domain/line-ids.js';
import { BusinessRuleError, ConflictError } from '../../domain/errors.js';
import { stableId } from '../../domain/ids.js';
import type { Delivery, DeliveryLine } from '../../domain/index.js';
import { NS } from '../../domain/namespace.js';
import type { DeliveryCapability, SearchCriteria, StepJournal, WriteResult } from '../../routing/ports.js';
import { deliveryMatches } from '../../routing/delivery-match.js';
import type { Dhis2Client } from './client.js';
import type { OrgUnitReader } from './facilities.js';
import { DHIS2_CODE_SYSTEM, DHIS2_SYSTEM, isUid } from './identifiers.js';
import { dhis2Instant } from './orgunit-codec.js';
import { UTC, instantKeptAs, sameWallTimeAs, wallTimeIn } from './server-time.js';
import {
  consignmentLineId,
  eventLineId,
  heldEvents,
  otherConsignment,
  ownEventsLeft,
  quantityOf,
  reopening,
  planEvents,
  valueOf,
  type HeldEvent,
  type PlannedEvent,
} from './consignment-events.js';
import type { Dhis2ProductMap } from './products.js';
import { allOf, journalAccepted, postTrackerEvents, trackerRejection } from './tracker-report.js';

/**
 * Consignments (the mSupply–RTS flow, docs.msupply.org.nz `integration:dhis2_lmis_integration`:
 * the facility receives a consignment into DHIS2, mSupply reads the completed ones) as events of
 * an event program named in the settings: one event per delivered line at the destination org
 * unit, carrying the item code, the quantity received, the delivery's reference and the lot.
 * Events are written under UIDs derived from the delivery identifier and the line, so a retry
 * after a lost answer updates the same events (CREATE_AND_UPDATE) and never adds twins; a
 * consignment entered by DHIS2's users, confirmed as read, keeps its events' own UIDs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

export const CONSIGNMENT_SYSTEM = `${NS}/identifier/dhis2-consignment`;

export interface ConsignmentProgram {
  program: string;
  stage: string;
  item: string;
  quantity: string;
  reference: string;
  lot?: string;
}

/** `dhis2.consignmentDataElements`: `item=UID,quantity=UID,reference=UID[,lot=UID]`. */
export function parseConsignmentElements(
  program: string,
  stage: string | undefined,
  spec: string | undefined,
): ConsignmentProgram {
  if (!isUid(program))
    throw new Error(`dhis2.consignmentProgram must be a program UID, got ${shownValue(program, 'uid')}`);
  const pairs = new Map(
    (spec ?? '')
      .split(',')
      .map((p) => p.split('=').map((x) => x.trim()) as [string, string])
      .filter(([k, v]) => k && v),
  );
  for (const k of ['item', 'quantity', 'reference']) {
    const uid = pairs.get(k);
    // the value only when it has the shape of a UID or code (shownValue), never the whole setting:
    // a password pasted into it must not reach the log or the OpenHIM console
    if (!isUid(uid))
      throw new Error(
        `dhis2.consignmentDataElements needs ${k}=<data element UID> (${uid === undefined ? `it names no ${k}` : `got ${k}=${shownValue(uid, 'uid')}`})`,
      );
  }
  if (!isUid(stage)) throw new Error('dhis2.consignmentStage must be the consignment program stage UID');
  return {
    program,
    stage: stage!,
    item: pairs.get('item')!,
    quantity: pairs.get('quantity')!,
    reference: pairs.get('reference')!,
    lot: pairs.get('lot'),
  };
}

/**
 * The R4 ids a consignment's lines read from DHIS2 had before their org unit was in them (the
 * plain deliveryLineId, which two facilities' consignments of one waybill number shared), each to
 * the id the line has now. Only a line of one event had it (several of one item and lot are read
 * by their event, eventLineId, as before); a consignment the mediator wrote keeps its client's ids.
 * A read by one is redirected to the line's id now, a change by one is a 409 naming it (routing's
 * formerIds): the link a search stored for it names the one consignment it was last listed in.
 */
export function formerConsignmentLineIds(_upstreamId: string, delivery: Delivery): Map<string, string> {
  if (delivery.identifier.system !== CONSIGNMENT_SYSTEM || !delivery.destination.id) return new Map();
  const orgUnit = delivery.destination.id;
  return new Map(
    delivery.lines.flatMap((l) => {
      const lot = l.lot?.number;
      const now = consignmentLineId(orgUnit, delivery.identifier, l.product, lot);
      return l.lineId === now ? [[deliveryLineId(delivery.identifier, l.product, lot), now] as const] : [];
    }),
  );
}

export interface ConsignmentDeps {
  client: Dhis2Client;
  reader: OrgUnitReader;
  products: () => Dhis2ProductMap;
  program: () => ConsignmentProgram;
  resolveOrgUnit: (ref: Delivery['destination'], where: string) => Promise<Json>;
}

const byUid = (a: Json, b: Json) => (String(a.event) < String(b.event) ? -1 : 1);

/** Events of one consignment (same reference, same org unit) → one Delivery; their times in the server's `zone`. */
export async function consignmentDeliveries(
  deps: Pick<ConsignmentDeps, 'reader' | 'products' | 'program'>,
  events: Json[],
  zone: string = UTC,
): Promise<Delivery[]> {
  const p = deps.program();
  const products = deps.products();
  // by org unit and reference, each kept as read: a reference is free text (an app's delivery
  // number, which may hold `|`), so one split back from a joined key cut it at its first bar
  const groups = new Map<string, { orgUnit: string; ref: string; list: Json[] }>();
  for (const e of events) {
    const ref = valueOf(e, p.reference);
    if (!ref) continue;
    const key = JSON.stringify([e.orgUnit, ref]);
    const group = groups.get(key) ?? { orgUnit: String(e.orgUnit), ref: String(ref), list: [] };
    group.list.push(e);
    groups.set(key, group);
  }
  const out: Delivery[] = [];
  for (const { orgUnit, ref, list } of groups.values()) {
    const ou = await deps.reader.byId(orgUnit);
    const identifier = { system: CONSIGNMENT_SYSTEM, value: ref };
    // in the order of their UIDs: a confirmation as read pairs the lines of one item and lot
    // with its events by line id, else in that order (consignment-events.ts)
    const read = [...list].sort(byUid).flatMap((e) => {
      const product = products.productOf(String(valueOf(e, p.item) ?? ''));
      const q = quantityOf(e, p.quantity);
      const lot = valueOf(e, p.lot);
      return product && q !== undefined ? [{ e, product, q, lot, key: JSON.stringify([product, lot ?? '']) }] : [];
    });
    const perKey = new Map<string, number>();
    for (const r of read) perKey.set(r.key, (perKey.get(r.key) ?? 0) + 1);
    const lines = read.map(({ e, product, q, lot, key }): DeliveryLine => {
      return {
        lineId:
          (perKey.get(key) ?? 0) > 1
            ? eventLineId(identifier, product, lot, String(e.event))
            : consignmentLineId(orgUnit, identifier, product, lot),
        product,
        quantityAccepted: { value: q, unit: 'dispensing-unit' },
        lot: lot ? { number: String(lot) } : undefined,
      };
    });
    const at = list
      .map((e) => dhis2Instant(e.occurredAt, zone))
      .filter((x): x is string => !!x)
      .sort()[0];
    out.push({
      id: stableId(DHIS2_SYSTEM, 'consignment', orgUnit, ref),
      identifier,
      status: list.every((e) => e.status === 'COMPLETED') ? 'completed' : 'in-progress',
      destination: {
        id: orgUnit,
        identifier: ou?.code ? { system: DHIS2_CODE_SYSTEM, value: String(ou.code) } : undefined,
        display: ou?.name,
      },
      occurredAt: at,
      // the client's date, kept to the millisecond: another is a change (receiptChange)
      dateReceivedKept: 'instant',
      // the later pass of a repeated hour, held as this earlier one: the client's own date is in place
      ...receivedAlso(at, zone),
      lines,
      source: { system: DHIS2_SYSTEM, id: `${orgUnit}~${ref}` },
      lastUpdated: list
        .map((e) => dhis2Instant(e.updatedAt, zone))
        .filter((x): x is string => !!x)
        .sort()
        .at(-1),
    });
  }
  return out;
}

/** Delivery.receivedAtAlso of a receipt read at `at`: the other pass of a repeated hour, if any. */
function receivedAlso(at: string | undefined, zone: string): Pick<Delivery, 'receivedAtAlso'> {
  const also = at ? sameWallTimeAs(Date.parse(at), zone) : [];
  return also.length ? { receivedAtAlso: also.map((x) => new Date(x).toISOString()) } : {};
}

/**
 * A completed consignment confirmed again at another instant than the one its events keep (DHIS2
 * keeps occurredAt to the millisecond, so the same instant in another zone is the same): a 409
 * naming the date, as a confirmed OpenLMIS proof of delivery answers. Its events are written under
 * the delivery's key once (the outbox's idempotency), so the change would never be written; told
 * "unchanged" instead, the app would believe its corrected date had landed. Compared as DHIS2 would
 * hold what is sent (heldInstant): a receipt sent in the later pass of a repeated hour is held as
 * the earlier, so its genuine resend (or a job accepted before DHIS2 could be asked) is the same.
 */
export function receiptChange(kept: Delivery, occurredAt: string, zone: string = UTC): ConflictError | undefined {
  if (kept.status !== 'completed' || !kept.occurredAt) return undefined;
  if (heldInstant(occurredAt, zone) === Date.parse(kept.occurredAt)) return undefined;
  return new ConflictError(
    `consignment ${kept.identifier.value} is completed in DHIS2, received at ${kept.occurredAt}; a completed delivery cannot be changed, so it is not received at ${occurredAt}`,
    409,
    ['Delivery.occurredAt'],
  );
}

/**
 * The instant DHIS2 holds for a date received: the instant itself, except in the later pass of an
 * hour its server's `zone` repeats when the clock goes back (Berlin, 2026-10-25T01:30Z: 02:30
 * winter time). DHIS2 keeps occurredAt as wall time without an offset and reads 02:30 as the
 * earlier pass (00:30Z), as its own apps' receipts of that hour are. Such a receipt is accepted and
 * held so, not refused: the client cannot change when the goods arrived, a refusal would keep the
 * receipt out of DHIS2, and a write accepted while DHIS2 could not be asked (or before this rule)
 * is written so anyway; the answer reads back the instant held.
 */
function heldInstant(occurredAt: string, zone: string): number {
  return instantKeptAs(receivedInstant(occurredAt), zone);
}

/**
 * The instant received, as DHIS2 keeps an event's occurredAt: wall time without a zone in the
 * server's `zone` (server-time.ts), as it exports it and the reader takes it back (dhis2Instant);
 * written as UTC wall time, a server in another zone would keep another instant, and a genuine
 * resend would be refused as a changed date (receiptChange).
 */
function dhis2WallTime(occurredAt: string | undefined, zone: string): string {
  return wallTimeIn(occurredAt === undefined ? Date.now() : receivedInstant(occurredAt), zone);
}

/**
 * The instant a delivery was received. A time without a zone never comes from a client (the FHIR
 * edge refuses one: FHIR requires a zone with a time, though R4's regex does not); it comes from
 * an upstream's clock through a bridge (Open mSupply's datetimes carry none and are UTC; DHIS2's
 * are its server's wall time, which its reader turns into instants: dhis2Instant), so it is read
 * as UTC: read in the process's zone, the same delivery would name another instant on a host in
 * another zone. A date alone is its day in UTC, as JavaScript reads it.
 */
function receivedInstant(occurredAt: string): number {
  const at = Date.parse(/T[^Zz+-]*$/.test(occurredAt) ? `${occurredAt}Z` : occurredAt);
  if (!Number.isFinite(at))
    throw new BusinessRuleError(`the time received '${occurredAt}' is not a date-time`, 'Delivery.occurredAt');
  return at;
}

/** The tracker event one planned line of a consignment is written as. */
function consignmentEvent(
  p: ConsignmentProgram,
  uid: string,
  e: PlannedEvent,
  orgUnit: string,
  ref: string,
  occurredAt: string,
  delivery: Delivery,
): Json {
  return {
    event: uid,
    program: p.program,
    programStage: p.stage,
    orgUnit,
    occurredAt,
    status: delivery.status === 'completed' ? 'COMPLETED' : 'ACTIVE',
    dataValues: [
      { dataElement: p.item, value: e.code },
      { dataElement: p.quantity, value: String(Math.round(e.units)) },
      { dataElement: p.reference, value: ref },
      ...(p.lot && e.lot ? [{ dataElement: p.lot, value: e.lot }] : []),
    ],
  };
}

export function createConsignmentCapability(deps: ConsignmentDeps): DeliveryCapability {
  const eventsWhere = async (query: Json): Promise<Json[]> => {
    const p = deps.program();
    return allOf<Json>(deps.client, '/api/tracker/events', 'events', {
      program: p.program,
      programStage: p.stage,
      fields: 'event,status,orgUnit,occurredAt,updatedAt,dataValues[dataElement,value]',
      ...query,
    });
  };

  // each read or write (a run) asks the server's zone once: DHIS2's zone is its JVM's and changes
  // when DHIS2 restarts, so the zone known to the process would read and write times hours off
  const zoneNow = () => deps.client.serverZoneNow();
  const toDeliveries = async (events: Json[], zone?: string) =>
    consignmentDeliveries(deps, events, events.length ? (zone ?? (await zoneNow())) : UTC);

  /** The events of one consignment: its reference at one org unit. */
  const eventsOf = async (orgUnit: string, ref: string) => {
    const de = deps.program().reference;
    const filter = eqFilter(de, ref, (await deps.client.features()).trackerFilterEscapes);
    return withValue(await eventsWhere({ orgUnit, ...(filter ? { filter } : {}) }), de, ref);
  };

  const byKey = async (orgUnit: string, ref: string) => (await toDeliveries(await eventsOf(orgUnit, ref)))[0];

  /** Each line's item code and quantity in dispensing units (RTS counts units; packs by the catalogue's pack size). */
  const lineUnits = (delivery: Delivery) => {
    const products = deps.products();
    const codes: string[] = [];
    const units: number[] = [];
    delivery.lines.forEach((line, i) => {
      const code = products.itemCode(line.product, `Delivery.lines[${i}].product`);
      const q = line.quantityAccepted ?? line.quantityShipped;
      if (!q)
        throw new BusinessRuleError(
          'a consignment line needs the quantity received (or shipped)',
          `Delivery.lines[${i}].quantityAccepted`,
        );
      const packSize = q.unit === 'pack' ? products.packSizeOf(code) : 1;
      if (!packSize)
        throw new BusinessRuleError(
          `product ${code} is counted in packs but products.json gives no packSize to count it in units`,
          `Delivery.lines[${i}].quantityAccepted`,
        );
      codes.push(code);
      units.push(q.value * packSize);
    });
    return { codes, units };
  };

  /**
   * The event each line writes: a delivery under another system's identifier only where no other
   * consignment uses its reference; one read as DHIS2 holds it (its own identifier system: entered
   * by DHIS2's users) completes the events DHIS2 holds for it (consignment-events.ts).
   */
  const plan = (delivery: Delivery, codes: string[], units: number[], held: HeldEvent[], ou: Json) => {
    const asRead = delivery.identifier.system === CONSIGNMENT_SYSTEM;
    if (!asRead) {
      // named by the search that lists it: its id is its writer's when the mediator wrote it
      // (withWrittenIds), which the connector does not know; DHIS2's own id does not read then
      const listedBy = `SupplyDelivery?destination=Location/${String(ou.id)}`;
      const where = { orgUnit: ou.code ? `${ou.code} (${ou.id})` : String(ou.id), listedBy };
      const other = otherConsignment(delivery, codes, held, where) ?? ownEventsLeft(delivery, codes, held);
      if (other) throw other;
    }
    return planEvents(delivery, codes, units, asRead ? held : undefined, deps.products(), String(ou.id));
  };

  return {
    formerIds: formerConsignmentLineIds,
    formerIdsWhy:
      'was its id before the line ids of a consignment made in DHIS2 carried its org unit (one waybill number may be used at several facilities); the same line is served under the id every search gives it now',
    async formerIdNow(delivery, formerId) {
      if (delivery.identifier.system !== CONSIGNMENT_SYSTEM) return [];
      // the reference's consignments at every org unit the user reaches (no orgUnit: ACCESSIBLE)
      const de = deps.program().reference;
      const ref = delivery.identifier.value;
      const filter = eqFilter(de, ref, (await deps.client.features()).trackerFilterEscapes);
      const all = await toDeliveries(withValue(await eventsWhere(filter ? { filter } : {}), de, ref));
      return all.map((d) => formerConsignmentLineIds('', d).get(formerId)).filter((id): id is string => !!id);
    },
    async get(id) {
      // the upstream id a write reports (org unit ~ reference), or a Delivery id read before
      const [orgUnit, ref] = id.split('~');
      return isUid(orgUnit) && ref ? byKey(orgUnit, ref) : undefined;
    },
    async search(criteria: SearchCriteria) {
      if (!criteria.facility || !isUid(criteria.facility)) return { items: [] };
      const deliveries = await toDeliveries(await eventsWhere({ orgUnit: criteria.facility }));
      return { items: deliveries.filter((d) => deliveryMatches(d, criteria)) };
    },
    async precheck(delivery) {
      const ou = await deps.resolveOrgUnit(delivery.destination, 'Delivery.destination');
      const { codes, units } = lineUnits(delivery);
      if (delivery.occurredAt !== undefined) receivedInstant(delivery.occurredAt);
      const events = await eventsOf(String(ou.id), delivery.identifier.value);
      const reopened = reopening(delivery, events, String(ou.id));
      if (reopened) throw reopened;
      plan(delivery, codes, units, heldEvents(events, deps.program()), ou);
      if (delivery.status !== 'completed' || !delivery.occurredAt || !events.length) return;
      const zone = await zoneNow();
      const kept = (await toDeliveries(events, zone))[0];
      const change = kept && receiptChange(kept, delivery.occurredAt, zone);
      if (change) throw change;
    },
    async confirm(delivery: Delivery, journal: StepJournal): Promise<WriteResult> {
      const p = deps.program();
      const ou = await deps.resolveOrgUnit(delivery.destination, 'Delivery.destination');
      const ref = delivery.identifier.value;
      const { codes, units } = lineUnits(delivery);
      if (delivery.occurredAt !== undefined) receivedInstant(delivery.occurredAt);
      // the events DHIS2 holds are read and planned inside the journalled write: a replay after the
      // POST was recorded neither reads nor plans (a failing read cannot fail it), and an attempt
      // that recorded nothing (a refusal, a transient failure) reads live again, so it never writes
      // from a list a DHIS2 user has changed since, nor repeats a refusal the user has remedied
      let merged: [string, PlannedEvent][] = [];
      let sent = 0;
      const r = await journalAccepted(journal, 'consignment-events', async () => {
        const listed = await eventsOf(String(ou.id), ref);
        const reopened = reopening(delivery, listed, String(ou.id));
        if (reopened) throw reopened;
        merged = [...plan(delivery, codes, units, heldEvents(listed, p), ou).entries()];
        const occurredAt = dhis2WallTime(delivery.occurredAt, await zoneNow());
        const events = merged.map(([uid, e]) => consignmentEvent(p, uid, e, String(ou.id), ref, occurredAt, delivery));
        sent = events.length;
        return postTrackerEvents(deps.client, events);
      });
      if (r.errors.length)
        throw trackerRejection(
          r.errors,
          `DHIS2 refused ${r.errors.length} of ${sent} consignment events`,
          (i) => (i === undefined ? 'Delivery.lines' : `Delivery.lines[${merged[i]?.[1].line ?? i}]`),
          {
            orgUnit: { id: String(ou.id), code: ou.code ? String(ou.code) : undefined },
            program: p.program,
            stage: p.stage,
          },
        );
      return {
        system: DHIS2_SYSTEM,
        ids: { consignment: `${ou.id}~${ref}` },
        status: `created ${r.created}, updated ${r.updated}`,
      };
    },
  };
}
