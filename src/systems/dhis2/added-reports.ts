import { createHash } from 'node:crypto';

/**
 * Which difference reports a DHIS2 data value already holds. DHIS2 keeps a total, not the reports
 * that made it, so a report the mediator no longer remembers sending (a store restored from
 * before it, a resend after the retention pruned its job) would be added again. The value's
 * comment (kept with the value, shown to a data manager in data entry, sent and read back by
 * `/api/dataValueSets`) carries one line naming the last reports added, each by a short hash of
 * its identifier and changes (addedKey): a report found there is not added again. The line is bounded
 * (ADDED_KEPT keys, about 300 characters, far below DHIS2's comment limit) and whatever else a
 * person wrote in the comment is kept as it was.
 */
const MARKER = 'Stock reports added by the supply mediator:';
/** Reports named per value: a resend of one of the last this many reports to a value adds nothing. */
export const ADDED_KEPT = 24;
/** DHIS2's longest data value comment (dhis2-core ValidationUtils.commentIsValid, VALUE_MAX_LENGTH). */
const DHIS2_COMMENT_MAX = 50_000;

/**
 * The short, stable name of a report in a data value's comment: its identifier and the changes
 * it adds, so the same report sent again has the same name, and one corrected under the same
 * identifier (other quantities) is another report, added as before.
 */
export function addedKey(
  identity: string,
  changes: { dataElement: string; categoryOptionCombo: string; value: string }[],
): string {
  const adds = changes.map((c) => `${c.dataElement}|${c.categoryOptionCombo}|${c.value}`).sort();
  return createHash('sha256')
    .update([identity, ...adds].join('\n'))
    .digest('base64url')
    .slice(0, 10);
}

const splitComment = (comment: string | undefined): { others: string[]; keys: string[] } => {
  const lines = (comment ?? '').split('\n');
  const ours = lines.filter((l) => l.startsWith(MARKER));
  return {
    others: lines.filter((l) => !l.startsWith(MARKER)),
    keys: ours.flatMap((l) => l.slice(MARKER.length).trim().split(/\s+/).filter(Boolean)),
  };
};

/** Whether the report named `key` is among those the comment says were added. */
export function wasAdded(comment: string | undefined, key: string): boolean {
  return splitComment(comment).keys.includes(key);
}

/** The comment with `key` added to its line of reports (the oldest dropped past ADDED_KEPT), the rest as it was. */
export function withAdded(comment: string | undefined, key: string): string {
  const { others, keys } = splitComment(comment);
  const text = others.join('\n').replace(/\n+$/, '');
  let kept = [...keys.filter((k) => k !== key), key].slice(-ADDED_KEPT);
  const joined = () => {
    const line = `${MARKER} ${kept.join(' ')}`;
    return text ? `${text}\n${line}` : line;
  };
  // a person's long note leaves room for fewer names: DHIS2 refuses a longer comment (E7620)
  while (joined().length > DHIS2_COMMENT_MAX && kept.length > 1) kept = kept.slice(1);
  return joined();
}
