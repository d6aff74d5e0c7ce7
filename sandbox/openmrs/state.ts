import { randomUUID } from 'node:crypto';
import { containerError, forbidden, jsonPage, loginPage, notLoggedIn } from './errors.js';
import type { Location, LocationAttributeType, LocationTag, Session, User } from './model.js';
import type { Seed } from './seed.js';

/**
 * The sandbox's tables and its session semantics, as OpenMRS's REST AuthorizationFilter applies
 * them (openmrs/openmrs-module-webservices.rest omod-common .../web/filter/AuthorizationFilter.java):
 * an unknown or expired session id → 401 "Session timed out"; a Basic header on a session not yet
 * authenticated is tried (blank or colon-less → 400), split on every `:` keeping the first two
 * parts, and a failed login is ignored, the call going on anonymously.
 */
export interface Caller {
  session: Session;
  /** Set-Cookie value when the request opened a new session. */
  newCookie?: string;
  user: User | null;
}

export class OpenMrsStore {
  readonly users = new Map<string, User>();
  readonly tags = new Map<string, LocationTag>();
  readonly attributeTypes = new Map<string, LocationAttributeType>();
  readonly locations = new Map<string, Location>();
  readonly sessions = new Map<string, Session>();
  /** Added to Date.now() (tests move the clock to expire sessions). */
  clockOffsetMs = 0;
  /**
   * What a call on an unknown or expired session gets: OpenMRS's own 401 "Session timed out", or
   * (`loginPage`) a 200 HTML login page, as from a single-sign-on gateway in front of OpenMRS that
   * sends a caller whose session it no longer knows to its login form, or (`jsonPage`) a 200 JSON
   * page, a gateway's "maintenance" answer to that stale cookie. Tests set it.
   */
  expiredSessionAnswer: '401' | 'loginPage' | 'jsonPage' = '401';
  /** Counters of applied writes per kind, for exactly-once checks. */
  readonly writes: Record<string, number> = {};

  constructor(
    seed: Seed,
    public sessionTtlMs: number,
    public anonymousReads: boolean,
  ) {
    for (const u of seed.users) this.users.set(u.uuid, u);
    for (const t of seed.tags) this.tags.set(t.uuid, t);
    for (const t of seed.attributeTypes) this.attributeTypes.set(t.uuid, t);
    for (const l of seed.locations) this.locations.set(l.uuid, l);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  count(kind: string): void {
    this.writes[kind] = (this.writes[kind] ?? 0) + 1;
  }

  userByName(username: string): User | undefined {
    return [...this.users.values()].find((u) => u.username === username);
  }

  /** The filter, per request: which session and user this call runs as. */
  authenticate(cookieHeader: string | undefined, authorization: string | undefined): Caller {
    const requested = /(?:^|;\s*)JSESSIONID=([^;]+)/.exec(cookieHeader ?? '')?.[1];
    let session: Session | undefined;
    let newCookie: string | undefined;
    if (requested) {
      session = this.sessions.get(requested);
      if (!session || this.now() - session.lastUsed > this.sessionTtlMs) {
        this.sessions.delete(requested);
        if (this.expiredSessionAnswer === 'loginPage') throw loginPage();
        if (this.expiredSessionAnswer === 'jsonPage') throw jsonPage();
        throw containerError(401, 'Session timed out');
      }
    } else {
      session = {
        id: randomUUID().replace(/-/g, '').toUpperCase(),
        userUuid: null,
        lastUsed: this.now(),
        locale: 'en_GB',
        sessionLocationUuid: null,
      };
      this.sessions.set(session.id, session);
      newCookie = `JSESSIONID=${session.id}; Path=/openmrs; HttpOnly`;
    }
    session.lastUsed = this.now();
    if (!session.userUuid && authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      if (!decoded.trim() || !decoded.includes(':')) throw containerError(400, 'Invalid credentials provided');
      // Java's String.split(":") drops trailing empty parts; only [0] and [1] are used
      const parts = decoded.split(':');
      while (parts.length && parts[parts.length - 1] === '') parts.pop();
      const user = parts.length >= 2 ? this.userByName(parts[0]) : undefined;
      if (user && user.password === parts[1]) session.userUuid = user.uuid;
    }
    return { session, newCookie, user: session.userUuid ? (this.users.get(session.userUuid) ?? null) : null };
  }

  /** What a privileged call requires: 401 for an anonymous caller, 403 for one without the privilege. */
  require(caller: Caller, privilege: string, read = false): void {
    if (read && this.anonymousReads) return;
    if (!caller.user) throw notLoggedIn(privilege);
    if (!caller.user.privileges.includes('*') && !caller.user.privileges.includes(privilege))
      throw forbidden(privilege);
  }

  expireSessions(): number {
    const n = this.sessions.size;
    this.sessions.clear();
    return n;
  }

  tag(ref: string): LocationTag | undefined {
    return byUuid(this.tags, ref) ?? [...this.tags.values()].find((t) => t.name.toLowerCase() === ref.toLowerCase());
  }

  attributeType(ref: string): LocationAttributeType | undefined {
    return (
      byUuid(this.attributeTypes, ref) ??
      [...this.attributeTypes.values()].find((t) => t.name.toLowerCase() === ref.toLowerCase())
    );
  }

  /** `getByUniqueId`: by uuid, else by name (LocationResource falls back to the name). */
  locationByUniqueId(ref: string): Location | undefined {
    return byUuid(this.locations, ref) ?? [...this.locations.values()].find((l) => l.name === ref);
  }
}

/**
 * An object by uuid as OpenMRS's database finds it: `WHERE uuid = ?` under MySQL's default
 * collation (utf8_general_ci, which OpenMRS's database is created with) ignores case, so
 * `location/8D6C993E-…` finds the location `8d6c993e-…`, answered in its own (lower-case) spelling.
 */
export function byUuid<T extends { uuid: string }>(table: Map<string, T>, ref: string): T | undefined {
  return table.get(ref) ?? [...table.values()].find((o) => o.uuid.toLowerCase() === ref.toLowerCase());
}
