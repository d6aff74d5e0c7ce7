import type { Quantity } from '../../domain/index.js';

/**
 * Open mSupply counts packs of any fraction (numberOfPacks, countedNumberOfPacks are Float:
 * dispensing or issuing in units leaves broken packs, 2.5 packs of 50), while a FHIR quantity
 * this server takes is a whole number of packs or units (fhir/codecs/common.ts).
 */

/** A sum or product of pack counts without binary noise (9.97 - 0.45 is 9.520000000000001 in floating point). */
export const tidy = (n: number) => Math.round(n * 1e9) / 1e9;

/** Packs as a quantity the mediator can read back: whole packs as packs, broken packs as the units they hold. */
export function packsAsQuantity(packs: number, packSize: number): Quantity {
  if (Number.isInteger(packs) || !(packSize > 0)) return { value: packs, unit: 'pack' };
  const units = tidy(packs * packSize);
  return Number.isInteger(units) ? { value: units, unit: 'dispensing-unit' } : { value: packs, unit: 'pack' };
}
