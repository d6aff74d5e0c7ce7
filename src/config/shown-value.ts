/**
 * How a refused setting's value is quoted in a ConfigError. The message names the value so that a
 * typo is found at a glance ("got '30s'"), but an operator who pastes a password into the wrong
 * variable (OUTBOX_LEASE_MS=Kx7Qz9WvPl, a line shifted in a .env file) must not see it copied to
 * the container log, /ready or the OpenHIM console's error: the redactor does not know it as a
 * secret, since it sits in a non-secret setting. So a value is quoted only when it has the shape of
 * what that kind of setting takes; anything else is described by its length alone.
 */
export type ValueShape = 'number' | 'word' | 'url' | 'cron' | 'code' | 'uid' | 'name';

const WORD = /^[a-z][a-z_-]{0,23}$/i;
const CODE = /^[A-Z0-9][A-Z0-9_.-]{0,31}$/;

const SHAPES: Record<ValueShape, (s: string) => boolean> = {
  // digits with a sign, decimal point, exponent or separators and at most a short unit ("30s",
  // "1,000", "10 ms"), or a number written as a word ("ninety")
  number: (s) => /^[+-]?[\d\s.,_]*(e[+-]?\d+)?\s*[a-z]{0,3}$/i.test(s) || WORD.test(s),
  // an enum or boolean word: letters, '-' and '_', no digits, as generated secrets nearly always have
  word: (s) => WORD.test(s),
  // URL characters with a scheme, a dot or a port: what a URL missing a part looks like
  url: (s) => /^[\w.:/?#=&%~+ -]*$/.test(s) && /:\/\/|[.:]/.test(s),
  // space-separated fields of cron characters or words (a typo may have any number), or a macro
  cron: (s) => /^(@[a-z]+|[\w*/,?#-]+(\s+[\w*/,?#-]+)+)$/i.test(s),
  // an item code as catalogues write them (EM_ORS, AMOX-250: upper case, digits, separators) or a
  // name; mixed case with digits is what a generated password looks like, so it is not quoted
  code: (s) => CODE.test(s) || WORD.test(s),
  // a DHIS2 UID (a letter, then 10 letters or digits: CodeGenerator.isValidUid) where one is
  // expected but was not found, or a code or name typed in its place; a UID miscopied (10 or 12
  // mixed-case letters and digits) looks like a password, and is described by its length
  uid: (s) => /^[a-z][a-z0-9]{10}$/i.test(s) || CODE.test(s) || WORD.test(s),
  // an upstream object's display name (OpenMRS's "Master Facility Code"): words of letters with
  // spaces and separators but no digits, or the object's uuid; or a code typed in its place
  name: (s) =>
    /^[a-z][a-z '_.-]{0,63}$/i.test(s) || /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(s) || CODE.test(s),
};

const MAX_SHOWN = 64;

export function shownValue(raw: unknown, shape: ValueShape): string {
  const s = String(raw);
  if (s.length <= MAX_SHOWN && SHAPES[shape](s.trim())) return `'${s}'`;
  return `a value of ${s.length} characters (not shown: it may be a secret in the wrong setting)`;
}
