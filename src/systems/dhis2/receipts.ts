import { eqFilter, withValue } from './tracker-filter.js';
import { serverWallTimeFrom, wallTimeIn } from './server-time.js';
import { BusinessRuleError } from '../../domain/errors.js';
import type { Delivery } from '../../domain/index.js';
import type { StepJournal, WriteResult } from '../../routing/ports.js';
import type { Dhis2Client } from './client.js';
import { consignmentDeliveries, type ConsignmentProgram } from './consignments.js';
import type { OrgUnitReader } from './facilities.js';
import { DHIS2_SYSTEM, deterministicUid, isUid } from './identifiers.js';
import type { Dhis2ProductMap } from './products.js';
import { itemsAt, type RtsUseCase } from './rts.js';
import { allOf, journalAccepted, postTrackerEvents, trackerRejection } from './tracker-report.js';
import { trackerOrder } from './version.js';

/**
 * Consignments a facility received (it scanned the packing list into RTS and completed the
 * consignment's events), and their stock written back to RTS, as mSupply's "DHIS2 LMIS
 * integration" does (docs.msupply.org.nz `integration:dhis2_lmis_integration`: the supplier polls
 * for completed consignments and the facility's stock on hand, and posts the supplied stock back).
 * The RTS use case has no receipt transaction (DISTRIBUTED, CORRECTED, DISCARDED:
 * dhis2-android-capture-app `stock-usecase` `TransactionType.kt`), so a receipt is written as the
 * count RTS would then hold: a CORRECTED event at the receipt time whose count is the stock on
 * hand the program rules gave before it plus the units received. Its UID derives from the
 * consignment, the facility and the item, so a retry updates the same event.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

export interface ReceiptFeed {
  /**
   * Consignments every event of which the facility completed, among the events updated at or
   * after `updatedAfter` (a DHIS2 timestamp); and the latest `updatedAt` read (the next mark).
   * `zone`: the server's zone the caller's mark was read in (the RTS run's one question); without
   * it the zone is asked at the read's start (serverZoneNow), never the one the process asked first.
   */
  completed(
    updatedAfter?: string,
    zone?: string,
  ): Promise<{
    deliveries: Delivery[];
    unreadable: UnreadableReceipt[];
    highWater?: string;
    /** The server's zone, whose wall time the marks (`highWater`, `updatedAfter`) are written in. */
    zone: string;
  }>;
  /** A received consignment as RTS stock counts, one per item (needs dhis2.rtsProgram). */
  record(delivery: Delivery, journal: StepJournal): Promise<WriteResult>;
}

/**
 * A consignment the facility completed that says not what arrived: an event without a quantity
 * received (DHIS2 completes it when its stage does not make the value compulsory), or one naming an
 * item the catalogue lacks. Never written back: its lines are not guessed, and left out they would
 * confirm an Open mSupply inbound shipment with that item as shipped. Read again once edited.
 */
export interface UnreadableReceipt {
  consignment: string;
  /** The org unit's code, else its id. */
  facility: string;
  reason: string;
}

/** Why the completed events of one consignment do not say what arrived, or undefined when they do. */
function unreadableReason(events: Json[], p: ConsignmentProgram, products: Dhis2ProductMap): string | undefined {
  const value = (e: Json, de: string) =>
    (e.dataValues as Json[] | undefined)?.find((d) => d.dataElement === de)?.value as string | undefined;
  for (const e of events) {
    const item = value(e, p.item) ?? '';
    const quantity = value(e, p.quantity);
    if (!products.productOf(item)) return `item '${item}' is not in products.json (event ${e.event})`;
    if (quantity === undefined || quantity === '') return `item ${item} has no quantity received (event ${e.event})`;
    if (!/^\d+$/.test(String(quantity)))
      return `item ${item} holds '${quantity}' received, not a whole number of units (event ${e.event})`;
  }
  return undefined;
}

export interface ReceiptDeps {
  client: Dhis2Client;
  reader: OrgUnitReader;
  products: () => Dhis2ProductMap;
  consignments: () => ConsignmentProgram;
  /** The RTS use case of dhis2.rtsProgram, or undefined when none is configured. */
  useCase: () => Promise<RtsUseCase> | undefined;
}

/** The stock on hand the program rules assigned to an item's last event before `at` (0 when none). */
async function stockBefore(
  deps: ReceiptDeps,
  uc: RtsUseCase,
  orgUnit: string,
  enrollment: string,
  at: string,
  own: string,
): Promise<number> {
  const events = await allOf<Json>(deps.client, '/api/tracker/events', 'events', {
    program: uc.program,
    programStage: uc.stage,
    orgUnit,
    occurredBefore: at,
    fields: 'event,enrollment,occurredAt,createdAt,dataValues[dataElement,value]',
  });
  const last = events
    .filter((e) => e.enrollment === enrollment && e.event !== own)
    .sort(
      (a, b) =>
        String(a.occurredAt).localeCompare(String(b.occurredAt)) ||
        String(a.createdAt).localeCompare(String(b.createdAt)),
    )
    .at(-1);
  const soh = Number((last?.dataValues as Json[] | undefined)?.find((d) => d.dataElement === uc.stockOnHand)?.value);
  return Number.isFinite(soh) ? soh : 0;
}

export function createReceiptFeed(deps: ReceiptDeps): ReceiptFeed {
  return {
    async completed(updatedAfter, asked?: string) {
      const p = deps.consignments();
      const fields = 'event,status,orgUnit,occurredAt,updatedAt,dataValues[dataElement,value]';
      // DHIS2's zone changes when DHIS2 restarts: the mark's, or asked now, not the process's first
      const zone = asked ?? (await deps.client.serverZoneNow());
      const done = await allOf<Json>(deps.client, '/api/tracker/events', 'events', {
        program: p.program,
        programStage: p.stage,
        status: 'COMPLETED',
        // the last event read is the next mark: oldest update first, as this server spells it
        order: trackerOrder(await deps.client.features(), 'updatedAt', 'asc'),
        // a mark moved back into a spring clock change's gap is sent as the instant it means
        updatedAfter: updatedAfter === undefined ? undefined : serverWallTimeFrom(updatedAfter, zone),
        fields,
      });
      const keys = new Map<string, { orgUnit: string; ref: string }>();
      for (const e of done) {
        const ref = (e.dataValues as Json[] | undefined)?.find((d) => d.dataElement === p.reference)?.value;
        if (ref) keys.set(`${e.orgUnit}|${ref}`, { orgUnit: String(e.orgUnit), ref: String(ref) });
      }
      // a consignment is received when all its events are completed, not only those updated lately
      const deliveries: Delivery[] = [];
      const unreadable: UnreadableReceipt[] = [];
      for (const { orgUnit, ref } of keys.values()) {
        const filter = eqFilter(p.reference, ref, (await deps.client.features()).trackerFilterEscapes);
        const events = withValue(
          await allOf<Json>(deps.client, '/api/tracker/events', 'events', {
            program: p.program,
            programStage: p.stage,
            orgUnit,
            ...(filter ? { filter } : {}),
            fields,
          }),
          p.reference,
          ref,
        );
        for (const delivery of await consignmentDeliveries({ ...deps, program: deps.consignments }, events, zone)) {
          if (delivery.status !== 'completed') continue;
          const reason = unreadableReason(events, p, deps.products());
          if (!reason) deliveries.push(delivery);
          else
            unreadable.push({ consignment: ref, facility: delivery.destination.identifier?.value ?? orgUnit, reason });
        }
      }
      return { deliveries, unreadable, highWater: done.length ? String(done.at(-1)!.updatedAt) : undefined, zone };
    },

    async record(delivery, journal) {
      const loading = deps.useCase();
      if (!loading)
        throw new BusinessRuleError(
          'dhis2.rtsProgram is not set: a received consignment is written back as RTS stock counts',
          'Delivery',
        );
      const uc = await loading;
      if (!uc.corrected)
        throw new BusinessRuleError(
          `the RTS use case of ${uc.program} has no CORRECTED transaction to count a receipt with`,
        );
      const orgUnit = delivery.destination.id;
      if (!isUid(orgUnit)) throw new BusinessRuleError('the consignment names no org unit', 'Delivery.destination');
      // the receipt's instant as the server keeps a time: wall time in its zone (server-time.ts)
      const when = Date.parse(delivery.lastUpdated ?? delivery.occurredAt ?? '');
      if (!Number.isFinite(when)) throw new BusinessRuleError('the consignment has no receipt time', 'Delivery');
      // asked again for each write: DHIS2's zone changes when DHIS2 restarts, not when the mediator does
      const at = wallTimeIn(when, await deps.client.serverZoneNow());
      const corrected = uc.corrected;
      const products = deps.products();
      const received = new Map<string, number>();
      delivery.lines.forEach((line, i) => {
        const code = products.itemCode(line.product, `Delivery.lines[${i}].product`);
        received.set(code, (received.get(code) ?? 0) + (line.quantityAccepted?.value ?? 0));
      });
      const items = await itemsAt(
        { client: deps.client, products: deps.products, useCase: () => loading },
        uc,
        orgUnit,
      );
      // a refusal is not journalled: the job's retry after a DHIS2 administrator's fix asks again
      const result = await journalAccepted(journal, 'rts-receipt', async () => {
        const events: Json[] = [];
        for (const [code, units] of received) {
          const enrollment = items.enrollmentOf.get(code);
          if (!enrollment)
            throw new BusinessRuleError(`item ${code} is not enrolled in RTS at org unit ${orgUnit}`, 'Delivery.lines');
          const uid = deterministicUid(
            'rts-receipt',
            delivery.identifier.system,
            delivery.identifier.value,
            orgUnit,
            code,
          );
          const before = await stockBefore(deps, uc, orgUnit, enrollment, at, uid);
          events.push({
            event: uid,
            program: uc.program,
            programStage: uc.stage,
            enrollment,
            orgUnit,
            occurredAt: at,
            status: 'COMPLETED',
            // stockOnHand is the program rules' to assign (E1307 otherwise): the count is what they take
            dataValues: [{ dataElement: corrected.quantity, value: String(Math.round(before + units)) }],
          });
        }
        const r = await postTrackerEvents(deps.client, events);
        return { uids: events.map((e) => String(e.event)), ...r };
      });
      if (result.errors.length)
        throw trackerRejection(
          result.errors,
          `DHIS2 refused ${result.errors.length} RTS receipt counts`,
          () => 'Delivery.lines',
          {
            orgUnit: { id: orgUnit, code: delivery.destination.identifier?.value },
            program: uc.program,
            stage: uc.stage,
            items: items.codeOf,
          },
        );
      return {
        system: DHIS2_SYSTEM,
        ids: Object.fromEntries(result.uids.map((u, i) => [`event${i}`, u])),
        status: `created ${result.created}, updated ${result.updated}`,
      };
    },
  };
}
