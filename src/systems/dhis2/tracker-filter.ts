/**
 * A tracker export `filter` (`/api/tracker/events?filter=<data element>:eq:<value>`). DHIS2 reads
 * the parameter as items at each `,` and each item's parts at each `:`. From 2.40.1 and 2.41 a `/`
 * escapes the next character (docs.dhis2.org developer/web-api tracker.md, events `filter`:
 * "Characters such as `:` or `,`, as part of the filter value, need to be escaped by `/`. Likewise,
 * `/` needs to be escaped"; dhis2-core DHIS2-15298, PR #13981; the Android SDK gates it the same
 * way): sent bare there, a reference `PO:17` is a filter DHIS2 refuses, and `PO/17` one it reads as
 * `PO17`. Before, `/` is an ordinary character (escaped, `PO//17` matches nothing), and a value
 * with `:` or `,` cannot be filtered at all: undefined, the caller queries without the filter and
 * keeps the events holding the value itself (withValue). Either way, unseen, another consignment
 * under that reference would go unnoticed and a write land beside it.
 */
export function eqFilter(dataElement: string, value: string, escapes: boolean): string | undefined {
  if (escapes) return `${dataElement}:eq:${value.replace(/[/:,]/g, '/$&')}`;
  return /[:,]/.test(value) ? undefined : `${dataElement}:eq:${value}`;
}

type EventValues = { dataValues?: { dataElement?: unknown; value?: unknown }[] };

/** The events holding `value` for `dataElement`: a filter's match, checked here (eqFilter undefined). */
export function withValue<E extends EventValues>(events: E[], dataElement: string, value: string): E[] {
  return events.filter((e) => (e.dataValues ?? []).some((d) => d.dataElement === dataElement && d.value === value));
}
