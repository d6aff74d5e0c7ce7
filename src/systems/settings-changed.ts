import { isDeepStrictEqual } from 'node:util';

/**
 * Whether a connector's parsed settings differ from those in force. Every console save reaches
 * every connector (ConnectorSet.apply), and the first config OpenHIM hands back arrives just after
 * start, often while the first requests run. A connector whose own settings did not change keeps
 * its login and its reference caches: reset, a cold request logged in twice (the login it started
 * before the reset never fills the cache) and read its reference data twice, the time OpenHIM's
 * channel timeout allows spent on reads already made.
 */
export function settingsChanged<T>(inForce: T, next: T): boolean {
  return !isDeepStrictEqual(inForce, next);
}
