import { getOrAbsent as getOrAbsentFrom } from '../../upstream/lookup.js';
import { LMIS, makeLmisError } from './errors.js';
import type { LmisClient, LmisRequest } from './types.js';

/**
 * upstream/lookup.ts's getOrAbsent typed for the OpenLMIS client. A GET by id answered 2xx without
 * a body (a 204): OpenLMIS answers a found DTO 200 with it and a missing one 404, so it is no
 * answer about the object, held as an outage (transient), never read as "absent".
 */
export function getOrAbsent<T>(
  client: LmisClient,
  req: Omit<LmisRequest, 'method' | 'accept'>,
  absentOn: number[] = [404],
): Promise<T | undefined> {
  return getOrAbsentFrom<T, LmisRequest>(client, req, absentOn, (status) =>
    makeLmisError({
      system: LMIS,
      transient: true,
      status: 502,
      code: 'transient',
      upstreamStatus: status,
      diagnostics: `GET ${req.path} answered ${status} without a body (not OpenLMIS's answer about the object): asked again later`,
    }),
  );
}
