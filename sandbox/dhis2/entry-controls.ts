import type { FastifyInstance } from 'fastify';
import type { Dhis2State, DataInputPeriod } from './state.js';

/**
 * Control API (no auth, never faulted) for data entry timeliness and access (data-entry-checks.ts),
 * what a DHIS2 administrator changes in the maintenance app:
 * - `PUT /_sandbox/clock {now}`: the sandbox's date and time ("today is the 20th"); DELETE: real time;
 * - `PATCH /_sandbox/dataSets/:idOrCode {expiryDays?, openFuturePeriods?, dataInputPeriods?,
 *   lockExceptions?: [{orgUnit, period}]}`: close or reopen periods (a lock exception is an
 *   exemption from the expiry days for one org unit and period);
 * - `PATCH /_sandbox/users/:username {orgUnits?, searchOrgUnits?, dataSets?}`: the user's data
 *   capture org units and search org units (codes or UIDs; search null: none, the capture ones
 *   alone) and the data sets it may write (null: all).
 */
type Json = Record<string, any>;

const bad = (message: string) => ({ error: message });

export function registerEntryControls(app: FastifyInstance, state: Dhis2State): void {
  app.get('/_sandbox/clock', async () => ({ now: state.now().toISOString() }));
  app.put('/_sandbox/clock', async (request, reply) => {
    const at = Date.parse(String((request.body as Json)?.now ?? ''));
    if (!Number.isFinite(at)) return reply.code(400).send(bad('now: an ISO date and time'));
    state.clockOffsetMs = at - Date.now();
    return { now: state.now().toISOString() };
  });
  app.delete('/_sandbox/clock', async (_request, reply) => {
    state.clockOffsetMs = 0;
    return reply.code(204).send();
  });

  app.patch<{ Params: { id: string } }>('/_sandbox/dataSets/:id', async (request, reply) => {
    const ds = [...state.dataSets.values()].find((d) => d.id === request.params.id || d.code === request.params.id);
    if (!ds) return reply.code(404).send(bad(`no data set ${request.params.id}`));
    const b = (request.body ?? {}) as Json;
    for (const field of ['expiryDays', 'openFuturePeriods'] as const) {
      if (b[field] === undefined) continue;
      if (!Number.isInteger(b[field])) return reply.code(400).send(bad(`${field}: an integer`));
      ds[field] = b[field];
    }
    if (b.dataInputPeriods !== undefined) {
      if (!Array.isArray(b.dataInputPeriods)) return reply.code(400).send(bad('dataInputPeriods: a list'));
      ds.dataInputPeriods = (b.dataInputPeriods as Json[]).map((p): DataInputPeriod => ({
        period: String(p.period),
        openingDate: p.openingDate ? String(p.openingDate) : undefined,
        closingDate: p.closingDate ? String(p.closingDate) : undefined,
      }));
    }
    if (b.lockExceptions !== undefined) {
      if (!Array.isArray(b.lockExceptions)) return reply.code(400).send(bad('lockExceptions: a list'));
      ds.lockExceptions.clear();
      for (const e of b.lockExceptions as Json[]) {
        const ou = state.orgUnitByCode(String(e.orgUnit)) ?? state.orgUnits.get(String(e.orgUnit));
        if (!ou) return reply.code(400).send(bad(`lockExceptions: no org unit ${e.orgUnit}`));
        ds.lockExceptions.add(`${ou.id}|${e.period}`);
      }
    }
    return {
      id: ds.id,
      expiryDays: ds.expiryDays,
      openFuturePeriods: ds.openFuturePeriods,
      dataInputPeriods: ds.dataInputPeriods,
      lockExceptions: [...ds.lockExceptions],
    };
  });

  app.patch<{ Params: { username: string } }>('/_sandbox/users/:username', async (request, reply) => {
    const user = state.userNamed(request.params.username);
    if (!user) return reply.code(404).send(bad(`no user ${request.params.username}`));
    const b = (request.body ?? {}) as Json;
    const unknownOf = (list: unknown[]) =>
      list.filter((k) => !state.orgUnitByCode(String(k)) && !state.orgUnits.get(String(k)));
    for (const field of ['orgUnits', 'searchOrgUnits'] as const) {
      if (b[field] === undefined || (field === 'searchOrgUnits' && b[field] === null)) continue;
      if (!Array.isArray(b[field])) return reply.code(400).send(bad(`${field}: a list of codes or UIDs`));
      const unknown = unknownOf(b[field]);
      if (unknown.length) return reply.code(400).send(bad(`${field}: unknown ${unknown.join(', ')}`));
    }
    if (b.orgUnits !== undefined) user.captureOrgUnits = (b.orgUnits as unknown[]).map(String);
    if (b.searchOrgUnits !== undefined)
      user.searchOrgUnits = b.searchOrgUnits === null ? undefined : (b.searchOrgUnits as unknown[]).map(String);
    if (b.dataSets !== undefined) {
      if (b.dataSets !== null && !Array.isArray(b.dataSets))
        return reply.code(400).send(bad('dataSets: a list of data set UIDs, or null for all'));
      user.dataSets = b.dataSets === null ? undefined : (b.dataSets as unknown[]).map(String);
    }
    return {
      username: user.username,
      orgUnits: user.captureOrgUnits,
      searchOrgUnits: user.searchOrgUnits ?? null,
      dataSets: user.dataSets ?? null,
    };
  });
}
