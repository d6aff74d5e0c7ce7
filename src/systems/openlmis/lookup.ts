import { getOrAbsent as getOrAbsentFrom } from '../../upstream/lookup.js';
import type { LmisClient, LmisRequest } from './types.js';

/**
 * upstream/lookup.ts's getOrAbsent typed for the OpenLMIS client. Every DTO read by id carries its
 * `id`: a GET answered 2xx without it, a 204 or a gateway's JSON page ({"message": …}), is no
 * answer about the object (OpenLMIS answers a found DTO 200 with it, a missing one 404), so it is
 * read again and held as an outage (unreadable-answer.ts: transient), never "absent": taken as
 * absent, a registry update of a facility found by code POSTed a second one, refused for good.
 */
export function getOrAbsent<T>(
  client: LmisClient,
  req: Omit<LmisRequest, 'method' | 'accept'>,
  absentOn: number[] = [404],
): Promise<T | undefined> {
  return getOrAbsentFrom<T, LmisRequest>(client, { ...req, carries: req.carries ?? ['id'] }, absentOn);
}
