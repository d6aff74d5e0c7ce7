/**
 * Types for the parts of openhim-mediator-utils 0.4.0 (CommonJS, untyped) that we call.
 * Callbacks receive axios errors, which carry the request config (with the Authorization header):
 * never log those objects, only `message`, `code` and `response.status`.
 */
declare module 'openhim-mediator-utils' {
  export interface OpenHimApiOptions {
    apiURL: string;
    username: string;
    password: string;
    trustSelfSigned?: boolean;
    urn?: string;
  }
  export type UtilsCallback<T = void> = (
    err: (Error & { code?: string; response?: { status?: number } }) | null | undefined,
    result?: T,
  ) => void;

  export function registerMediator(options: OpenHimApiOptions, mediatorConfig: object, callback: UtilsCallback): void;
  /** One heartbeat with `config: true`; yields the stored config, or `{}` when core has none. */
  export function fetchConfig(
    options: OpenHimApiOptions & { urn: string },
    callback: UtilsCallback<Record<string, unknown>>,
  ): void;
  /** Module-global timer sending `{uptime}` only (no `config: true`); one mediator per process. */
  export function activateHeartbeat(
    options: OpenHimApiOptions & { urn: string },
    interval?: number,
  ): import('node:events').EventEmitter;
  export function deactivateHeartbeat(): void;
  export function genAuthHeaders(options: { username: string; password: string }): { Authorization: string };

  const utils: {
    registerMediator: typeof registerMediator;
    fetchConfig: typeof fetchConfig;
    activateHeartbeat: typeof activateHeartbeat;
    deactivateHeartbeat: typeof deactivateHeartbeat;
    genAuthHeaders: typeof genAuthHeaders;
  };
  export default utils;
}
