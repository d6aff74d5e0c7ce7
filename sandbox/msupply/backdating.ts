import type { Invoice } from './model.js';

/** Open mSupply's backdating preference (BackdatingNode): off on a fresh server. */
export interface Backdating {
  shipmentsEnabled: boolean;
  /** The furthest back, in days, a received date may be moved; 0: no limit. */
  maxDays: number;
}

export const NO_BACKDATING: Backdating = { shipmentsEnabled: false, maxDays: 0 };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Why Open mSupply refuses an UpdateInboundShipmentInput.receivedDatetime (server/service/src/
 * invoice/inbound_shipment/update/validate.rs, "Backdating: Inbound Shipment Received Date"): the
 * field backdates a shipment already received, never dates a receipt as it happens. Refused with
 * backdating off, on a shipment not yet RECEIVED or VERIFIED (the status the same update asks for
 * does not count), at or after the received date it has, and further back than maxDays; none when
 * it is taken.
 */
export function backdateRefusal(invoice: Invoice, asked: string, prefs: Backdating, now: number): string | undefined {
  if (!prefs.shipmentsEnabled) return 'BackdatingNotEnabled';
  if ((invoice.status !== 'RECEIVED' && invoice.status !== 'VERIFIED') || !invoice.receivedDatetime)
    return 'CanOnlyBackdateReceivedShipments';
  const at = Date.parse(asked);
  if (!(at < Date.parse(invoice.receivedDatetime))) return 'CannotMoveReceivedDateForward';
  if (prefs.maxDays > 0 && now - at > prefs.maxDays * DAY_MS) return 'ExceedsMaximumBackdatingDays';
  return undefined;
}
