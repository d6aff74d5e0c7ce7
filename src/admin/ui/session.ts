import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleSessionRow, Store } from '../../store/types.js';
import { invisibleAt } from '../actor-name.js';

/**
 * Sign-in for the console. A person signs in with their name and the admin token (the same
 * credential the /admin API takes); the browser then holds only an opaque session id in an
 * HttpOnly, SameSite=Strict cookie scoped to /admin/ui, never the token.
 *
 * Sessions are kept in the store (migration v11): a restart keeps people signed in, and
 * instances on one PostgreSQL database share them (no sticky sessions). The row is keyed by a
 * digest of the cookie value and holds a digest of (cookie value, admin token): neither signs
 * anybody in if the table is read. When the token changes (rotated from the OpenHIM console),
 * every session opened with the old one ends at its next request. A session ends after
 * IDLE_MS without a request, MAX_AGE_MS after sign-in, or at sign-out (its row is deleted).
 */
export const COOKIE = 'console_session';
export const UI_PREFIX = '/admin/ui';
export const IDLE_MS = 8 * 3600_000;
export const MAX_AGE_MS = 24 * 3600_000;
/** lastSeen is written back at most this often when nothing else changed (a page view is a read). */
const TOUCH_MS = 60_000;
/** The in-memory backend's cap: a flood of sign-ins cannot grow memory without bound. */
const MAX_MEMORY_SESSIONS = 1000;

export interface UndoEntry {
  system: string;
  systemId: string;
  /** The row's decidedAt as this decision left it: names the decision, so one undo takes back one. */
  decidedAt?: string;
  /**
   * Its undo was refused for putting back a link to a facility the registry has closed since: the
   * undo form then offers the box that says it is meant (review-page.ts).
   */
  closedLink?: true;
}

export interface Session {
  /** The cookie value: only in memory for this request, never stored. */
  id: string;
  user: string;
  /** Per-session token every form posts back (a second guard besides SameSite=Strict). */
  csrf: string;
  createdAt: number;
  lastSeen: number;
  /** Records this person decided in this session, newest last: what `undo` takes back. */
  undo: UndoEntry[];
  /** A one-time message for the next page (after a redirect). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

/** Where sessions are kept: the store (default in the mediator) or this process (tests, tools). */
export interface SessionBackend {
  put(row: ConsoleSessionRow): Promise<void>;
  /** Writes the row's data and lastSeen only while its stored data is still `was`; false otherwise. */
  swap(row: ConsoleSessionRow, was: Record<string, unknown>): Promise<boolean>;
  get(idDigest: string): Promise<ConsoleSessionRow | undefined>;
  delete(idDigest: string): Promise<void>;
  sweep(before: number): Promise<number>;
}

type SessionStoreMethods = Pick<
  Store,
  'putConsoleSession' | 'swapConsoleSession' | 'getConsoleSession' | 'deleteConsoleSession' | 'sweepConsoleSessions'
>;

export function storeSessions(store: SessionStoreMethods): SessionBackend {
  return {
    put: (row) => store.putConsoleSession(row),
    swap: (row, was) => store.swapConsoleSession(row, was),
    get: (idDigest) => store.getConsoleSession(idDigest),
    delete: (idDigest) => store.deleteConsoleSession(idDigest),
    sweep: (before) => store.sweepConsoleSessions(before),
  };
}

export function memorySessions(): SessionBackend {
  const rows = new Map<string, ConsoleSessionRow>();
  const put = (row: ConsoleSessionRow) => {
    rows.delete(row.idDigest);
    rows.set(row.idDigest, structuredClone(row));
    // the least recently written go first
    while (rows.size > MAX_MEMORY_SESSIONS) rows.delete(rows.keys().next().value as string);
  };
  return {
    async put(row) {
      put(row);
    },
    async swap(row, was) {
      const stored = rows.get(row.idDigest);
      if (!stored || JSON.stringify(stored.data) !== JSON.stringify(was)) return false;
      put({ ...stored, data: row.data, lastSeen: row.lastSeen });
      return true;
    },
    async get(idDigest) {
      const row = rows.get(idDigest);
      return row ? structuredClone(row) : undefined;
    },
    async delete(idDigest) {
      rows.delete(idDigest);
    },
    async sweep(before) {
      let n = 0;
      for (const [k, r] of rows) if (r.lastSeen < before && rows.delete(k)) n++;
      return n;
    },
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const idDigestOf = (id: string) => sha256(`console-session:${id}`);
/** Binds a session to the admin token it was opened with, without keeping anything token-like. */
const tokenCheckOf = (id: string, token: string) => sha256(`console-token:${id}:${token}`);

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sameSecret(presented: string, current: string): boolean {
  // digests first: equal lengths for timingSafeEqual whatever was typed
  return sameText(sha256(presented), sha256(current));
}

/** A cookie's value; undefined when absent or no valid %-encoding (a cut cookie is no session, not a 500). */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A user name as recorded in the audit trail: letters with their marks, digits, spaces and
 * . _ @ - ' only. Marks count as part of a letter: a Devanagari, Bengali or Thai name is written
 * with vowel signs and viramas (\p{M}), and a name typed decomposed carries its accents as marks
 * (the sign-in composes it, NFC); an apostrophe is part of N'Diaye or O'Brien.
 */
export function userNameProblem(name: string): string | undefined {
  if (!name) return 'say who you are: your name is recorded with every decision';
  if (name.length > 100) return 'the name is longer than 100 characters';
  if (name === 'auto') return '"auto" is reserved for the matcher';
  if (!/^(?!\p{M})[\p{L}\p{M}\p{N} ._@'\u2019-]+$/u.test(name))
    return "the name may hold letters, digits, spaces and . _ @ - ' only";
  // a Hangul filler is a letter and a grapheme joiner a mark, yet both show nothing (actor-name.ts)
  const hidden = invisibleAt(name);
  if (hidden) return `the name holds an invisible character (${hidden.code}, ${hidden.name}) at character ${hidden.at}`;
  return undefined;
}

interface SessionData {
  csrf: string;
  tokenCheck: string;
  undo: UndoEntry[];
  flash?: Session['flash'];
}

/** How often save merges again when other requests of the session keep writing in between. */
const MAX_MERGES = 20;
/** The most decisions a session keeps to undo: the oldest go first. */
export const MAX_UNDO = 100;

// closedLink in the key: an entry marked by this request is its change, kept over the row as stored
const undoKey = (e: UndoEntry) => JSON.stringify([e.system, e.systemId, e.decidedAt ?? null, e.closedLink === true]);

/** `from` without one entry per entry of `taken` (the newest matching), as a multiset. */
function without(from: UndoEntry[], taken: UndoEntry[]): UndoEntry[] {
  const left = [...from];
  for (const t of taken) {
    const i = left.findLastIndex((e) => undoKey(e) === undoKey(t));
    if (i >= 0) left.splice(i, 1);
  }
  return left;
}

/**
 * The session data to write: the row as stored now (`base`), with this request's own changes
 * since it read `read` applied to it: the undo entries it added (at the end, newest last) and
 * took off, and its flash if it set or cleared one. What another request wrote meanwhile stays.
 */
function mergedSessionData(base: SessionData, read: SessionData, mine: SessionData): SessionData {
  const baseUndo = Array.isArray(base.undo) ? base.undo : [];
  const added = without(mine.undo, read.undo);
  const taken = without(read.undo, mine.undo);
  const undo = [...without(baseUndo, taken), ...added].slice(-MAX_UNDO);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  // a page that showed (cleared) the flash it read clears only that one, not one set meanwhile
  const cleared = mine.flash === undefined && same(base.flash, read.flash);
  const flash = same(mine.flash, read.flash) ? base.flash : (mine.flash ?? (cleared ? undefined : base.flash));
  const { flash: _dropped, ...rest } = base;
  return { ...rest, undo, ...(flash ? { flash } : {}) };
}

/** What a session looked like when read: to write it back only when it changed. */
const loaded = new WeakMap<Session, { data: string; lastSeen: number; tokenCheck: string }>();

export class SessionStore {
  constructor(
    private readonly token: () => string | undefined,
    private readonly backend: SessionBackend = memorySessions(),
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens a session when `presented` is the current admin token; undefined otherwise. */
  async signIn(user: string, presented: string): Promise<Session | undefined> {
    const current = this.token();
    if (!current || !sameSecret(presented, current)) return undefined;
    await this.backend.sweep(this.now() - IDLE_MS);
    const now = this.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      csrf: randomBytes(24).toString('base64url'),
      createdAt: now,
      lastSeen: now,
      undo: [],
    };
    const tokenCheck = tokenCheckOf(session.id, current);
    await this.backend.put(this.rowOf(session, tokenCheck));
    loaded.set(session, { data: JSON.stringify(this.dataOf(session, tokenCheck)), lastSeen: now, tokenCheck });
    return session;
  }

  /** The live session of a request, or undefined (unknown, expired, or the token changed). */
  async of(request: FastifyRequest): Promise<Session | undefined> {
    const id = cookieValue(request, COOKIE);
    if (!id || id.length > 100) return undefined;
    const idDigest = idDigestOf(id);
    const row = await this.backend.get(idDigest);
    if (!row) return undefined;
    const data = row.data as unknown as SessionData;
    const current = this.token();
    const now = this.now();
    if (
      now - row.lastSeen > IDLE_MS ||
      now - row.createdAt > MAX_AGE_MS ||
      !current ||
      !sameText(String(data.tokenCheck ?? ''), tokenCheckOf(id, current))
    ) {
      await this.backend.delete(idDigest);
      return undefined;
    }
    const session: Session = {
      id,
      user: row.user,
      csrf: String(data.csrf),
      createdAt: row.createdAt,
      lastSeen: now,
      undo: Array.isArray(data.undo) ? data.undo : [],
      ...(data.flash ? { flash: data.flash } : {}),
    };
    loaded.set(session, { data: JSON.stringify(data), lastSeen: row.lastSeen, tokenCheck: data.tokenCheck });
    return session;
  }

  /**
   * Writes the session back if the request changed it (flash, undo), or to keep it alive. Two tabs
   * of one session post at once: each read the row, and writing this request's copy whole dropped
   * what the other wrote in between (its undo entry, so "undo" could no longer take that decision
   * back). So only this request's own changes are written, over the row as it is now
   * (mergedSessionData), and only while it is still as read (swap); else read again and merge again.
   * A session signed out meanwhile stays signed out.
   *
   * False when the row changed under every one of MAX_MERGES merges (other requests of the session
   * writing without pause): this request's changes, its message and undo entry, are not kept. It
   * does not throw: it runs once the request is answered, after the decision or action it answers
   * was made, and an error page then would say that was not done (the caller logs it instead).
   */
  async save(session: Session): Promise<boolean> {
    const before = loaded.get(session);
    if (!before) return true;
    const mine = this.dataOf(session, before.tokenCheck);
    if (JSON.stringify(mine) === before.data && session.lastSeen - before.lastSeen < TOUCH_MS) return true;
    const read = JSON.parse(before.data) as SessionData;
    let base: Record<string, unknown> = JSON.parse(before.data) as Record<string, unknown>;
    for (let attempt = 0; attempt < MAX_MERGES; attempt++) {
      const merged = mergedSessionData(base as unknown as SessionData, read, mine);
      const row = { ...this.rowOf(session, before.tokenCheck), data: merged as unknown as Record<string, unknown> };
      if (await this.backend.swap(row, base)) {
        session.undo = merged.undo;
        loaded.set(session, {
          data: JSON.stringify(merged),
          lastSeen: session.lastSeen,
          tokenCheck: before.tokenCheck,
        });
        return true;
      }
      const now = await this.backend.get(idDigestOf(session.id));
      if (!now) return true; // signed out (or swept) meanwhile: not brought back
      base = now.data;
    }
    return false;
  }

  async end(session: Session): Promise<void> {
    loaded.delete(session);
    await this.backend.delete(idDigestOf(session.id));
  }

  private dataOf(session: Session, tokenCheck: string): SessionData {
    return {
      csrf: session.csrf,
      tokenCheck,
      undo: session.undo,
      ...(session.flash ? { flash: session.flash } : {}),
    };
  }

  private rowOf(session: Session, tokenCheck: string): ConsoleSessionRow {
    return {
      idDigest: idDigestOf(session.id),
      user: session.user,
      data: this.dataOf(session, tokenCheck) as unknown as Record<string, unknown>,
      createdAt: session.createdAt,
      lastSeen: session.lastSeen,
    };
  }
}

/**
 * The cookie is set once, at sign-in, so it lives as long as the session can (MAX_AGE_MS): with the
 * idle time as its Max-Age the browser dropped it 8 h after sign-in however busy its holder was.
 * The idle end is the server's (the row's lastSeen).
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session | undefined): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const value = session ? `${COOKIE}=${session.id}; Max-Age=${MAX_AGE_MS / 1000}` : `${COOKIE}=; Max-Age=0`;
  reply.header('set-cookie', `${value}; Path=${UI_PREFIX}; HttpOnly; SameSite=Strict${secure}`);
}

/** A form post belongs to the session: its CSRF field matches. */
export function csrfOk(session: Session, body: Record<string, unknown> | undefined): boolean {
  return sameText(String(body?._csrf ?? ''), session.csrf);
}

/**
 * The tag a session's decisions carry (crosswalk.decided_in, v67): a digest of its cookie value
 * under a label of its own, so it is neither the cookie nor the stored row's key (and signs
 * nobody in if read), yet one session's decisions share it and another session's never do, even
 * under the same name.
 */
export function decisionTag(session: Pick<Session, 'id'>): string {
  return createHash('sha256').update(`console decision\0${session.id}`).digest('hex').slice(0, 32);
}
