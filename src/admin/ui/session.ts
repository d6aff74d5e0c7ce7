import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Sign-in for the console. A person signs in with their name and the admin token (the same
 * credential the /admin API takes); the browser then holds only an opaque session id in an
 * HttpOnly, SameSite=Strict cookie scoped to /admin/ui, never the token. The session remembers a
 * digest of the token it was opened with: when the token changes (rotated from the OpenHIM
 * console), every session opened with the old one ends at its next request. Sessions live in
 * this process (a restart signs everyone out; behind a load balancer use sticky sessions).
 */
export const COOKIE = 'console_session';
export const UI_PREFIX = '/admin/ui';
const IDLE_MS = 8 * 3600_000;
const MAX_SESSIONS = 1000;

export interface UndoEntry {
  system: string;
  systemId: string;
}

export interface Session {
  id: string;
  user: string;
  /** Per-session token every form posts back (a second guard besides SameSite=Strict). */
  csrf: string;
  tokenDigest: Buffer;
  lastSeen: number;
  /** Records this person decided in this session, newest last: what `undo` takes back. */
  undo: UndoEntry[];
  /** A one-time message for the next page (after a redirect). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

const digest = (token: string) => createHash('sha256').update(token).digest();

function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** A user name as recorded in the audit trail: letters, digits, spaces and . _ @ - only. */
export function userNameProblem(name: string): string | undefined {
  if (!name) return 'say who you are: your name is recorded with every decision';
  if (name.length > 100) return 'the name is longer than 100 characters';
  if (name === 'auto') return '"auto" is reserved for the matcher';
  if (!/^[\p{L}\p{N} ._@-]+$/u.test(name)) return 'the name may hold letters, digits, spaces and . _ @ - only';
  return undefined;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly token: () => string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens a session when `presented` is the current admin token; undefined otherwise. */
  signIn(user: string, presented: string): Session | undefined {
    const current = this.token();
    if (!current || !sameDigest(digest(presented), digest(current))) return undefined;
    this.sweep();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      csrf: randomBytes(24).toString('base64url'),
      tokenDigest: digest(current),
      lastSeen: this.now(),
      undo: [],
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session of a request, or undefined (unknown, idle too long, or the token changed). */
  of(request: FastifyRequest): Session | undefined {
    const id = cookieValue(request, COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    const current = this.token();
    if (this.now() - session.lastSeen > IDLE_MS || !current || !sameDigest(session.tokenDigest, digest(current))) {
      this.sessions.delete(session.id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  end(session: Session): void {
    this.sessions.delete(session.id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (now - s.lastSeen > IDLE_MS) this.sessions.delete(id);
    // a flood of sign-ins cannot grow memory without bound: the least recently seen go first
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
  }
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session | undefined): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const value = session ? `${COOKIE}=${session.id}; Max-Age=${IDLE_MS / 1000}` : `${COOKIE}=; Max-Age=0`;
  reply.header('set-cookie', `${value}; Path=${UI_PREFIX}; HttpOnly; SameSite=Strict${secure}`);
}

/** A form post belongs to the session: its CSRF field matches. */
export function csrfOk(session: Session, body: Record<string, unknown> | undefined): boolean {
  const given = Buffer.from(String(body?._csrf ?? ''));
  const expected = Buffer.from(session.csrf);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
