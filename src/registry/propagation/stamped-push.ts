import { BusinessRuleError, MediatorError, type Issue } from '../../domain/errors.js';
import type { Facility } from '../../domain/facility.js';
import type { RegistryRecordRow } from '../../store/types.js';
import type { RegistryRecord } from '../mfr/types.js';
import { closedAsAbsent, closedVersion } from './propagator.js';

/**
 * A push that carries meta.lastUpdated is ordered by it (the store keeps the newest version), so
 * two things about that instant are settled before it is taken:
 *  - one far ahead of this mediator's clock (a sender's clock set wrong, a typo in the year) would
 *    be kept as the newest and make every real change look older until that time: every system
 *    would keep the wrong version, silently. Beyond the allowed skew it is refused (422);
 *  - one older than the version kept is not taken (a newer version reaches every system). That is
 *    said, not hidden behind a 200 "0 taken": a conflict naming the facility and the version kept.
 *    The same version again (a resend) is no conflict: it changes nothing and answers 200.
 */

/** Refuses a stamp more than `skewMs` after `now`: thrown for the whole request (its input is wrong). */
export function refuseFutureStamp(pushed: RegistryRecord, at: string, now: Date, skewMs: number): void {
  const stamp = Date.parse(pushed.lastUpdated);
  const ahead = stamp - now.getTime();
  if (!(ahead > skewMs)) return;
  throw new BusinessRuleError(
    `Location/${pushed.id} as pushed has meta.lastUpdated ${pushed.lastUpdated}, ${duration(ahead)} after this mediator's clock (${now.toISOString()}), more than the ${duration(skewMs)} allowed (registry.pushClockSkewMs): kept, it would count as newer than every real change until then, so nothing was taken. Check the sender's clock, or send the registry's own meta.lastUpdated`,
    `${at}.meta.lastUpdated`,
  );
}

/**
 * The conflict of a push older than the version kept, or undefined when it may be taken (newer,
 * the same instant, the very version kept again, or nothing kept yet).
 */
export function staleConflict(
  pushed: RegistryRecord,
  at: string,
  kept: RegistryRecordRow | undefined,
): Issue | undefined {
  // the version kept, or the mediator's own closure (or reopening) of it: a resend, no conflict
  if (!kept || closedVersion(kept.version) === pushed.version) return undefined;
  if (Date.parse(pushed.lastUpdated) >= kept.changedAt) return undefined;
  const keptRecord = kept.record as RegistryRecord | undefined;
  const placed = keptRecord?.unstamped
    ? `pushed without meta, placed at ${new Date(kept.changedAt).toISOString()}`
    : `meta.lastUpdated ${new Date(kept.changedAt).toISOString()}`;
  return {
    severity: 'error',
    code: 'conflict',
    diagnostics: `Location/${pushed.id} as pushed is version ${pushed.version} (meta.lastUpdated ${pushed.lastUpdated}), older than the version kept, ${kept.version} (${placed}${keptRecord?.facility?.status === 'inactive' ? ', closed' : ''}): the newer version is what every system gets, so this one was not taken`,
    expression: [`${at}.meta.lastUpdated`],
  };
}

/** `2 h 5 min`, `3 min 20 s`, `900 ms`: how far a stamp is ahead, for a person. */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  const [d, h, m, sec] = [Math.floor(s / 86_400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60];
  const parts = [d && `${d} d`, h && `${h} h`, m && `${m} min`, sec && `${sec} s`].filter(Boolean);
  return parts.slice(0, 2).join(' ');
}

/** The fields every system is written from: what two versions of one number must agree on. */
const PROPAGATED: { name: string; of: (f: Facility) => unknown }[] = [
  { name: 'name', of: (f) => f.name },
  { name: 'status', of: (f) => f.status },
  { name: 'partOf', of: (f) => f.partOf ?? null },
  { name: 'position', of: (f) => (f.position ? [f.position.latitude, f.position.longitude] : null) },
  { name: 'identifier', of: (f) => f.identifiers.map((i) => `${i.system}|${i.value}`).sort() },
  { name: 'type', of: (f) => (f.types ?? []).map((c) => `${c.system}|${c.code}`).sort() },
];

/**
 * A push that reuses the version kept for other content (a sender that did not bump
 * meta.versionId) is refused (409) naming the fields that differ. Taken as a resend, the change
 * was answered 200 "already as kept" and reached no system: lost without a word. The version kept
 * may be the mediator's own of it (`<v>+parent`, `<v>+absent`, `<v>+absent+relisted`): `<v>` is
 * then compared with it as with `<v>` itself, but for the status of a closure for absence, which
 * is the mediator's, not the sender's.
 */
export function refuseReusedVersion(pushed: RegistryRecord, at: string, kept: RegistryRecordRow | undefined): void {
  const before = (kept?.record as RegistryRecord | undefined)?.facility;
  if (!before || !pushed.facility || closedVersion(kept!.version) !== pushed.version) return;
  const own = kept!.version !== pushed.version;
  const compared = own && closedAsAbsent(kept!.version) ? PROPAGATED.filter((f) => f.name !== 'status') : PROPAGATED;
  const differ = compared
    .filter((f) => JSON.stringify(f.of(before)) !== JSON.stringify(f.of(pushed.facility!)))
    .map((f) => f.name);
  if (differ.length === 0) return;
  throw new MediatorError(409, {
    severity: 'error',
    code: 'conflict',
    diagnostics: `Location/${pushed.id} as pushed is version ${pushed.version}, the version kept${own ? ` (as ${kept!.version})` : ''}, but its ${differ.join(', ')} differ: a changed Location needs a new meta.versionId, so nothing was taken`,
    expression: [`${at}.meta.versionId`],
  });
}
