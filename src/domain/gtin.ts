/** The GS1 GTIN identifier and code system (HL7 Terminology NamingSystem gtin). */
export const GTIN_SYSTEM = 'https://www.gs1.org/gtin';

/**
 * GTIN helpers (GS1 General Specifications §7.9). Clients send GTIN-8/12/13/14 for the same trade
 * item; comparing the 14-digit zero-padded form makes 0…13-digit and 14-digit spellings match.
 */
export function isValidGtin(gtin: string): boolean {
  if (!/^(\d{8}|\d{12,14})$/.test(gtin)) return false;
  const digits = gtin.split('').map(Number);
  const check = digits.pop()!;
  // weights 3,1,3,… from the digit next to the check digit
  const sum = digits.reverse().reduce((s, d, i) => s + d * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

export function normaliseGtin(gtin: string): string {
  const trimmed = gtin.trim();
  return /^\d{8,14}$/.test(trimmed) ? trimmed.padStart(14, '0') : trimmed;
}
