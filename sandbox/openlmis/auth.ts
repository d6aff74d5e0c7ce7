import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SandboxHttpError, forbidden } from './errors.js';
import type { OAuthClient, User } from './model.js';
import type { SeedData } from './seed.js';

/**
 * openlmis-auth as the other services see it (reference §1): opaque UUID tokens, an inactivity
 * timeout (each successful check pushes expiry forward), user tokens from `user-client` password
 * grant, service tokens from `trusted-client` client_credentials, API keys that never expire.
 */
export type PrincipalKind = 'user' | 'service' | 'apikey';

export interface Principal {
  kind: PrincipalKind;
  token: string;
  clientId: string;
  user?: User;
}

interface TokenRecord extends Principal {
  /** epoch ms; null = never expires (API keys) */
  expiresAt: number | null;
}

export const SERVICE_CLIENT_ID = 'trusted-client';

export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();
  private offsetMs = 0;

  constructor(
    seed: SeedData,
    public ttlSeconds: number,
  ) {
    for (const key of seed.apiKeys)
      this.tokens.set(key.token, { kind: 'apikey', token: key.token, clientId: key.clientId, expiresAt: null });
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the sandbox clock forward (token expiry tests without sleeping). */
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  issue(kind: 'user' | 'service', clientId: string, user?: User): TokenRecord {
    const record: TokenRecord = {
      kind,
      token: randomUUID(),
      clientId,
      user,
      expiresAt: this.now() + this.ttlSeconds * 1000,
    };
    this.tokens.set(record.token, record);
    return record;
  }

  /** Returns the principal and slides the expiry, or undefined when unknown/expired (then forgotten). */
  check(token: string): Principal | undefined {
    const record = this.tokens.get(token);
    if (!record) return undefined;
    if (record.expiresAt !== null && record.expiresAt <= this.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    if (record.expiresAt !== null) record.expiresAt = this.now() + this.ttlSeconds * 1000;
    return record;
  }

  peek(token: string): TokenRecord | undefined {
    return this.tokens.get(token);
  }

  revoke(token: string): boolean {
    return this.tokens.delete(token);
  }

  /** Expires every expiring token (user and service tokens; API keys never expire). Returns the count. */
  expireAll(): number {
    let n = 0;
    for (const [token, r] of this.tokens)
      if (r.expiresAt !== null) {
        this.tokens.delete(token);
        n++;
      }
    return n;
  }

  activeCount(): number {
    const now = this.now();
    return [...this.tokens.values()].filter((r) => r.expiresAt === null || r.expiresAt > now).length;
  }
}

/** Spring Security OAuth2 error body `{error, error_description}`. */
export function oauthError(status: number, error: string, description: string, scheme = 'Bearer'): SandboxHttpError {
  return new SandboxHttpError(
    status,
    { error, error_description: description },
    {
      'www-authenticate': `${scheme} realm="${scheme === 'Basic' ? 'oauth2/client' : 'openlmis'}", error="${error}", error_description="${description}"`,
    },
  );
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^bearer\s+/i.test(header)) return header.replace(/^bearer\s+/i, '').trim();
  const q = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' && q ? q : undefined;
}

export function basicClient(request: FastifyRequest, clients: OAuthClient[]): OAuthClient {
  const header = request.headers.authorization;
  if (!header || !/^basic\s+/i.test(header))
    throw oauthError(401, 'unauthorized', 'Full authentication is required to access this resource', 'Basic');
  const decoded = Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  const clientId = sep < 0 ? decoded : decoded.slice(0, sep);
  const secret = sep < 0 ? '' : decoded.slice(sep + 1);
  const client = clients.find((c) => c.clientId === clientId);
  if (!client || client.secret !== secret) throw oauthError(401, 'unauthorized', 'Bad credentials', 'Basic');
  return client;
}

/**
 * Resource-server check as in every OpenLMIS service: no token → 401 `unauthorized`; a token the
 * auth service does not recognise (unknown or expired) → 401 `invalid_token`, whose description is
 * the token itself (RemoteTokenServices throws `new InvalidTokenException(accessToken)`). Clients must
 * therefore never log these bodies verbatim.
 */
export function authenticate(request: FastifyRequest, tokens: TokenStore): Principal {
  const token = bearerToken(request);
  if (!token) throw oauthError(401, 'unauthorized', 'Full authentication is required to access this resource');
  const principal = tokens.check(token);
  if (!principal) throw oauthError(401, 'invalid_token', token);
  return principal;
}

export interface RightScope {
  facilityId?: string;
  programId?: string;
  supervisoryNodeId?: string;
}

/** Role-based right check for user tokens; service tokens have root access. */
export function hasRight(principal: Principal, right: string, scope: RightScope = {}): boolean {
  if (principal.kind === 'service') return true;
  if (principal.kind === 'apikey' || !principal.user) return false;
  return principal.user.rights.some(
    (a) =>
      a.right === right &&
      (!a.facilityId || !scope.facilityId || a.facilityId === scope.facilityId) &&
      (!a.programId || !scope.programId || a.programId === scope.programId) &&
      (!a.supervisoryNodeId || !scope.supervisoryNodeId || a.supervisoryNodeId === scope.supervisoryNodeId),
  );
}

/** Per-service "missing right" errors (403). */
export const permissionErrors = {
  requisition: (right: string) =>
    forbidden(
      'requisition.error.authorization.noFollowingPermission',
      'You do not have following permission to perform this action: {0}.',
      right,
    ),
  fulfillment: (right: string) =>
    forbidden(
      'fulfillment.error.permission.missing',
      'You do not have the following permission to perform this action: {0}',
      right,
    ),
  referencedata: (right: string) =>
    forbidden(
      'referenceData.error.unauthorized',
      'You do not have the following right to perform this action: {0}',
      right,
    ),
  stockmanagement: (right: string, scope: RightScope = {}) =>
    forbidden(
      'stockmanagement.error.authorization.noFollowingPermission',
      'You do not have permission {0} for program {1} facility {2} to perform this action.',
      right,
      scope.programId ?? null,
      scope.facilityId ?? null,
    ),
};

export function requireRight(
  principal: Principal,
  service: keyof typeof permissionErrors,
  right: string,
  scope: RightScope = {},
  allowApiKey = false,
): void {
  if (principal.kind === 'apikey' && allowApiKey) return;
  if (!hasRight(principal, right, scope))
    throw service === 'stockmanagement'
      ? permissionErrors.stockmanagement(right, scope)
      : permissionErrors[service](right);
}

export function tokenResponse(
  record: { token: string; kind: PrincipalKind; user?: User; expiresAt: number | null },
  now: number,
) {
  const body: Record<string, unknown> = {
    access_token: record.token,
    token_type: 'bearer',
    // Spring reports the remaining whole seconds, one less than the validity right after issue
    expires_in: record.expiresAt === null ? undefined : Math.max(0, Math.ceil((record.expiresAt - now) / 1000) - 1),
    scope: 'read write',
  };
  if (record.user) {
    body.referenceDataUserId = record.user.id;
    body.username = record.user.username;
  }
  return body;
}

export async function sendError(reply: FastifyReply, err: SandboxHttpError) {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.statusCode).send(err.body);
}
