import { BusinessRuleError } from '../domain/errors.js';
import type { Identifier } from '../domain/index.js';

/**
 * An order number OpenMRS (an operation's externalReference) and Open mSupply (a line of the
 * requisition's comment) keep as one string, `system|value`, reads back split at the first bar
 * (a value may hold one: an app's `ORD|77`). A system holding a bar (no URI does: RFC 3986 has it
 * percent-encoded, %7C) would read back as another number of another system, found by no search
 * for it: refused before anything is written (the connectors' precheck), never on delivery, so a
 * write accepted before this check is still delivered.
 */
export function refuseBarredSystem(number: Identifier, where: string, keptAs: string): void {
  if (!number.system.includes('|')) return;
  throw new BusinessRuleError(
    `the identifier system ${JSON.stringify(number.system).slice(0, 120)} holds a '|': ${keptAs} keeps the number as system|value, read back at the first '|', so it would read back as another number; percent-encode the bar (%7C), as a URI does`,
    `${where}.system`,
  );
}

/** A number kept as `system|value`, read back at the first bar (see refuseBarredSystem); undefined without a system. */
export function keptNumber(text: string): Identifier | undefined {
  const bar = text.indexOf('|');
  return bar > 0 ? { system: text.slice(0, bar), value: text.slice(bar + 1) } : undefined;
}
