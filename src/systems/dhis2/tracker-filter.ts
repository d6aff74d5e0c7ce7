/**
 * A tracker export `filter` (`/api/tracker/events?filter=<data element>:eq:<value>`). DHIS2 reads
 * the parameter as items at each `,` and each item's parts at each `:`, `/` escaping the next
 * character (docs.dhis2.org developer/web-api tracker.md, events `filter`: "Characters such as `:`
 * or `,`, as part of the filter value, need to be escaped by `/`. Likewise, `/` needs to be
 * escaped"). Sent bare, a reference `PO:17` is a filter DHIS2 refuses, and `PO/17` one it reads as
 * `PO17`: another consignment under that reference would go unseen, and a write land beside it.
 */
export function eqFilter(dataElement: string, value: string): string {
  return `${dataElement}:eq:${value.replace(/[/:,]/g, '/$&')}`;
}
