import { asRecord } from '../../upstream/errors.js';
import { escapeRegExp } from '../../platform/escape-regexp.js';

/**
 * What the OpenHIM orchestrations keep of DHIS2's answers: everything but the integration user.
 * The user's username and UID are half of a credential, and DHIS2 answers name it in many places:
 * conflicts and tracker errors ("… current user: `<uid>`", "User: `<uid>`, has no …",
 * `objects.user`; dhis2-core ImportConflict, tracker ValidationCode rendered by MessageFormatter),
 * async import summaries polled later (`/api/system/taskSummaries/…`, `/api/tracker/jobs/…/report`),
 * who stored or changed a value or an event (`storedBy`, `createdBy`, `updatedBy`, …) and
 * `/api/me` itself. The connector's own words never name the user (import-summary.ts withoutUser,
 * tracker-refusals.ts); this is the same for the raw answers recorded for OpenHIM: the user is
 * replaced by words, the rest of the answer (codes, counts, org units, values) stays as DHIS2 said it.
 */

/** The integration user, as a recorded answer names it instead. */
export const THE_USER = "the mediator's DHIS2 user";
/** Any other DHIS2 user (who stored a value in DHIS2 itself): not ours, but not named either. */
export const A_USER = 'a DHIS2 user';

/** Keys whose value is a DHIS2 user (its username, UID or `{uid, username, firstName, surname}`). */
const USER_KEYS = new Set([
  'storedBy',
  'createdBy',
  'updatedBy',
  'lastUpdatedBy',
  'completedBy',
  'createdByUserInfo',
  'lastUpdatedByUserInfo',
  'executedBy',
  'user',
  'userUid',
]);

/** What `/api/me` says of who the user is (the rest, its org units and authorities, stays). */
const ME_IDENTITY = new Set([
  'id',
  'uid',
  'username',
  'name',
  'displayName',
  'firstName',
  'surname',
  'email',
  'phoneNumber',
  'code',
  'openId',
  'ldapId',
  'userCredentials',
  'whatsApp',
  'twitter',
  'facebookMessenger',
  'skype',
  'telegram',
]);

/**
 * Where DHIS2's words quote the importing user: E7617 "current user: `…`", tracker "User: `…`".
 * Not E2020 "… not in the hierarchy of the current user: `<org unit>`", which quotes an org unit.
 */
const QUOTED_USER = /(?<!the )\b(current user|User):?\s*`([^`]*)`/g;

/** An identifier as a whole token, not inside a longer word ("admin" not in "administrator"). */
const asToken = (value: string) => `(?<![\\w.@-])${escapeRegExp(value)}(?![\\w.@-])`;

const MARKERS = `(?<!the )\\b(?:current user|User):?\\s*\`|"(?:${[...USER_KEYS].join('|')})"\\s*:`;

/**
 * One per DHIS2 client: the user's username (from the settings, when it logs in with Basic) and
 * the UIDs DHIS2 named it by (learnt from the answers themselves, as a personal access token does
 * not say whose it is), so a later answer quoting them elsewhere is cleaned too.
 */
export class UserTraces {
  private readonly uids = new Set<string>();
  private cached: { key: string; known: string[]; marker: RegExp; token: RegExp | undefined } | undefined;

  constructor(private readonly username: () => string | undefined) {}

  /** How to record the answer to `path` (the client's recordResponse). */
  recorder(path: string): (body: unknown, text: string) => unknown {
    return (body, text) => this.record(path, body, text);
  }

  /** The answer as recorded: the text as it came when it names no user (nearly all), else cleaned. */
  record(path: string, body: unknown, text: string): unknown {
    const me = /^\/api(?:\/\d+)?\/me\/?$/.test(path);
    if (!me && !this.patterns().marker.test(text)) return text === '' ? undefined : text;
    this.learn(text);
    if (me) this.learnMe(body);
    const { known, token } = this.patterns();
    // `/api/me`'s own identity is its top level; its org units' ids below are not the user
    const clean = (value: unknown, key?: string, top = false): unknown => {
      if (top && key !== undefined && ME_IDENTITY.has(key)) return THE_USER;
      if (key !== undefined && USER_KEYS.has(key)) return this.named(value, known);
      if (typeof value === 'string') return this.words(value, token);
      if (Array.isArray(value)) return value.map((v) => clean(v));
      if (!value || typeof value !== 'object') return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, k, me && value === body)]));
    };
    return clean(body);
  }

  /** A user-valued field: ours by its username or UID, else some other user; never its name. */
  private named(value: unknown, known: string[]): unknown {
    if (value === null || value === undefined || value === '') return value;
    const r = asRecord(value);
    const ids = r ? [r.uid, r.id, r.username].filter((v) => typeof v === 'string') : [value];
    return ids.some((id) => known.includes(id as string)) ? THE_USER : A_USER;
  }

  /** The user's identifiers anywhere in a text, then whatever DHIS2 quotes as the importing user. */
  private words(text: string, token: RegExp | undefined): string {
    const said = token ? text.replace(token, THE_USER) : text;
    return said.replace(QUOTED_USER, (_whole, label: string) => `${label}: ${THE_USER}`);
  }

  /** The UIDs DHIS2's words quote the importing user by. */
  private learn(text: string): void {
    for (const m of text.matchAll(QUOTED_USER)) if (m[2]) this.uids.add(m[2]);
  }

  private learnMe(body: unknown): void {
    const me = asRecord(body);
    for (const v of [me?.id, me?.username]) if (typeof v === 'string' && v) this.uids.add(v);
  }

  /** The identifiers known now, and the patterns finding them (rebuilt when they change). */
  private patterns() {
    const known = [this.username(), ...this.uids].filter((v): v is string => !!v && v.length >= 3);
    const key = known.join('\n');
    if (this.cached?.key !== key) {
      const tokens = known.map(asToken).join('|');
      this.cached = {
        key,
        known,
        marker: new RegExp(tokens ? `${MARKERS}|${tokens}` : MARKERS),
        token: tokens ? new RegExp(tokens, 'g') : undefined,
      };
    }
    return this.cached;
  }
}
