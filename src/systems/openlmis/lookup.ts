import { getOrAbsent as getOrAbsentFrom } from '../../upstream/lookup.js';
import type { LmisClient, LmisRequest } from './types.js';

/** upstream/lookup.ts's getOrAbsent typed for the OpenLMIS client. */
export function getOrAbsent<T>(
  client: LmisClient,
  req: Omit<LmisRequest, 'method' | 'accept'>,
  absentOn: number[] = [404],
): Promise<T | undefined> {
  return getOrAbsentFrom<T, LmisRequest>(client, req, absentOn);
}
