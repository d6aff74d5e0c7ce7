import { asRecord } from '../../upstream/errors.js';
import type { Dhis2Client } from './client.js';
import { allOf } from './tracker-report.js';

/**
 * Whether every event of a tracker import is in DHIS2 with the data values it sent: how the
 * connector learns the outcome of an async import whose job DHIS2 forgot before ever listing it
 * (jobs.ts). A restart loses the job's notifications, and `tracker/jobs/{id}` then answers `[]`,
 * the same as for a job that never existed. With atomicMode=ALL an import commits all its events
 * or none. Events found with the values sent mean DHIS2 holds what the write asked for, whichever
 * import put them there, so nothing is sent again. Anything missing or different means it must be
 * sent (the same UIDs, CREATE_AND_UPDATE: safe to send again).
 *
 * Read through the tracker export by UID, per program, in chunks, with the filter's spelling for
 * the version (`events`, comma-separated from 2.41; `event`, semicolon-separated before).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 tracker JSON, read field by field with checks
type Json = Record<string, any>;

/** UIDs per export call: well inside any URL length limit (11-character UIDs). */
const CHUNK = 100;

export async function eventsLanded(client: Dhis2Client, events: unknown[]): Promise<boolean> {
  const sent = events.map((e) => asRecord(e) as Json | undefined);
  if (sent.some((e) => !e || typeof e.event !== 'string' || typeof e.program !== 'string')) return false;
  const v41 = (await client.features()).trackerFilters41;
  const found = new Map<string, Json>();
  const byProgram = new Map<string, string[]>();
  for (const e of sent as Json[]) byProgram.set(e.program, [...(byProgram.get(e.program) ?? []), e.event]);
  for (const [program, uids] of byProgram)
    for (let i = 0; i < uids.length; i += CHUNK) {
      const chunk = uids.slice(i, i + CHUNK);
      const page = await allOf<Json>(client, '/api/tracker/events', 'events', {
        program,
        [v41 ? 'events' : 'event']: chunk.join(v41 ? ',' : ';'),
        fields: 'event,dataValues[dataElement,value]',
      });
      for (const e of page) if (typeof e?.event === 'string') found.set(e.event, e);
    }
  return (sent as Json[]).every((e) => holdsValues(found.get(e.event), e));
}

/** The event as DHIS2 has it carries every data value sent, with the same value. */
function holdsValues(stored: Json | undefined, sent: Json): boolean {
  if (!stored) return false;
  const values = new Map<string, string>();
  for (const dv of Array.isArray(stored.dataValues) ? stored.dataValues : [])
    if (typeof dv?.dataElement === 'string') values.set(dv.dataElement, String(dv.value ?? ''));
  const wanted: Json[] = Array.isArray(sent.dataValues) ? sent.dataValues : [];
  return wanted.every((dv) => values.get(String(dv?.dataElement)) === String(dv?.value ?? ''));
}
