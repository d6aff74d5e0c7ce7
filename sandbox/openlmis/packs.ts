/**
 * Dispensing units → packs exactly as OpenLMIS `packsToOrder` (requisition BasicOrderableDto):
 * whole packs, one more when the remainder exceeds packRoundingThreshold, and never 0 packs for a
 * positive quantity unless roundToZero.
 */
export function packsToOrder(
  dispensingUnits: number,
  orderable: { netContent: number; packRoundingThreshold: number; roundToZero: boolean },
): number {
  if (dispensingUnits <= 0 || orderable.netContent === 0) return 0;
  let packs = Math.floor(dispensingUnits / orderable.netContent);
  const remainder = dispensingUnits % orderable.netContent;
  if (remainder > 0 && remainder > orderable.packRoundingThreshold) packs += 1;
  if (packs === 0 && !orderable.roundToZero) packs = 1;
  return packs;
}
