import type { Dispatcher } from 'undici';
import type { ErrorFactory } from '../errors.js';
import type { RawResponse } from '../http.js';

/**
 * An auth strategy is one small pluggable piece between the bulkhead and the exchange (client.ts):
 * it gives the headers that authenticate a call, and hears when the upstream refused them so a
 * cached credential is forgotten and fetched again once. Settings are read per call, so a
 * credential changed live (OpenHIM console) is used on the next call.
 */
export interface AuthContext {
  dispatcher: Dispatcher;
  system: string;
  baseUrl: string;
  timeoutMs: number;
  signal?: AbortSignal;
  makeError?: ErrorFactory;
}

export interface Authorization {
  headers: Record<string, string>;
  /** What identifies the credential used, so a refusal forgets exactly that one. */
  credential: string;
}

export interface AuthStrategy<K extends string = string> {
  authorize(ctx: AuthContext, kind?: K): Promise<Authorization>;
  /**
   * The upstream refused `credential`: forget it if it is still the cached one. Returns false when
   * asking again cannot give another one (a static token or Basic pair), so the call is not replayed.
   */
  refused(credential: string, kind?: K): boolean;
  /** Is this answer a refusal of the credential? Default: HTTP 401. */
  isRefusal?(res: RawResponse): boolean;
  /** Forget every cached credential (base URL or credentials changed). */
  reset(): void;
}

export const isUnauthorized = (res: RawResponse): boolean => res.status === 401;

/** No credential at all (public endpoints, tests). */
export const anonymous: AuthStrategy = {
  authorize: async () => ({ headers: {}, credential: '' }),
  refused: () => false,
  reset: () => undefined,
};
