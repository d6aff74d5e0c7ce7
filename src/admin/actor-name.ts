import { InvalidInputError } from '../domain/errors.js';

/** The longest name an admin API caller may give as who acts (the console's own names stop at 100). */
export const ACTOR_MAX = 200;

/**
 * Who acts, as the audit trail, a crosswalk row's decidedBy and the console keep it: a name
 * given by an API caller (X-Actor, X-Admin-User, a body's `actor`), trimmed. A control character
 * (a line break, a tab, an escape) or a name of thousands of characters is refused (400 at
 * `where`) before anything is done, rather than stored with every decision it signs. The length
 * is counted in characters (code points), as the body schema's maxLength counts them, so a name
 * in a script outside the Basic Multilingual Plane is not refused at half the length.
 */
/**
 * What may not stand in a name: control characters (\p{Cc}: a line break, a tab, an escape, NEL),
 * Unicode's own line and paragraph separators (U+2028, U+2029: a line break to a log viewer or an
 * editor), and the direction embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
 * which show a name's letters in an order other than stored ("Trojan Source"). The marks an
 * Arabic or Hebrew name may carry (LRM, RLM) stay; invisible characters are invisibleAt's.
 */
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

export function checkedActor(given: string, where: string): string {
  // composed (NFC), as the console's sign-in composes its names: one person, one name in the audit
  const actor = given.normalize('NFC');
  if (actor === 'auto') throw new InvalidInputError('"auto" is reserved for the matcher', where);
  const length = [...actor].length;
  if (length > ACTOR_MAX)
    throw new InvalidInputError(`${where} is ${length} characters long; a name is at most ${ACTOR_MAX}`, where);
  if (LINE_BREAKING.test(actor))
    throw new InvalidInputError(
      `${where} holds a control character (a line break, a tab, an escape, a direction override); give the name on one line`,
      where,
    );
  const hidden = invisibleAt(actor);
  if (hidden)
    throw new InvalidInputError(
      `${where} holds an invisible character (${hidden.code}, ${hidden.name}) at character ${hidden.at}; type the name without it`,
      where,
    );
  return actor;
}

/**
 * Characters that show nothing: "bob" and "b<U+200B>ob" look alike in the audit trail and on the
 * console yet are two people to an undo's decidedBy and the per-name sign-in limit. The space,
 * word joiner and byte order mark (U+200B, U+2060, U+FEFF) are never part of a name. The joiners
 * (ZWNJ U+200C, ZWJ U+200D) are part of Persian and Indic spelling, so they stay between two
 * letters or marks of such a script, and are refused anywhere else (at an end, beside a space, in
 * a Latin, Greek or Cyrillic name where they only hide).
 */
const INVISIBLE: Record<string, string> = {
  '\u200B': 'zero width space',
  '\u200C': 'zero width non-joiner',
  '\u200D': 'zero width joiner',
  '\u2060': 'word joiner',
  '\uFEFF': 'zero width no-break space',
  '\u00AD': 'soft hyphen',
  // as invisible, though a mark and letters (not \p{Cf}): the console's name pattern took them
  '\u034F': 'combining grapheme joiner',
  '\u115F': 'Hangul filler',
  '\u1160': 'Hangul filler',
  '\u3164': 'Hangul filler',
  '\uFFA0': 'Hangul filler',
};
/**
 * Every other format character (\p{Cf}: U+180E, the invisible operators U+2061-U+2064, tag
 * characters, interlinear annotation marks) shows nothing either; only the direction marks an
 * Arabic or Hebrew name may carry (LRM, RLM, ALM) stay.
 */
const FORMAT = /^(?![\u200E\u200F\u061C])\p{Cf}$/u;
const invisibleName = (c: string) => INVISIBLE[c] ?? (FORMAT.test(c) ? 'invisible formatting character' : undefined);
const JOINERS = new Set(['\u200C', '\u200D']);
/** A letter or mark a joiner may shape: not of a script written without joiners. */
const JOINABLE = /^(?![\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])[\p{L}\p{M}]$/u;

export function invisibleAt(name: string): { code: string; name: string; at: number } | undefined {
  const chars = [...name];
  const joinable = (c: string | undefined) => c !== undefined && JOINABLE.test(c);
  const at = chars.findIndex(
    (c, i) => invisibleName(c) !== undefined && !(JOINERS.has(c) && joinable(chars[i - 1]) && joinable(chars[i + 1])),
  );
  if (at < 0) return undefined;
  const c = chars[at];
  const code = `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return { code, name: invisibleName(c) as string, at: at + 1 };
}

/** Whether two names are one person's, however each was composed (names stored before NFC). */
export const sameActor = (a: string, b: string) => a.normalize('NFC') === b.normalize('NFC');

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A name header (X-Actor, X-Admin-User) as its sender wrote it: the first value, trimmed. Node
 * reads a header's bytes as Latin-1, so "Nguyễn" sent by curl as UTF-8 arrived as "Nguyá»\x85n":
 * stored garbled, and since 0x85 reads as a control character, refused by checkedActor (as were
 * most Arabic and many Polish or Vietnamese names). Bytes that are valid UTF-8 are read as
 * UTF-8; anything else (plain ASCII, a Latin-1 sender, the console's in-process call, which
 * passes the name as text) is left as it came.
 */
export function actorHeader(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  return utf8Read(value).trim();
}

function utf8Read(value: string): string {
  // only bytes (each unit ≤ 0xFF), and at least one non-ASCII: else there is nothing to reread
  const codes = [...value].map((c) => c.codePointAt(0) ?? 0);
  if (codes.every((c) => c < 0x80) || codes.some((c) => c > 0xff)) return value;
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value; // not UTF-8: a Latin-1 sender's name, kept as read
  }
}
