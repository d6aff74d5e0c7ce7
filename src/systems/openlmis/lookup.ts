import type { LmisClient, LmisRequest } from './api.js';

/**
 * GET one object, or undefined when OpenLMIS says there is none: a 404 (or another status the
 * endpoint uses for "no such id", such as referencedata's 400 on a malformed one). Every other
 * failure still throws, so "absent" never hides an outage.
 */
export async function getOrAbsent<T>(client: LmisClient, req: Omit<LmisRequest, 'method' | 'accept'>, absentOn: number[] = [404]): Promise<T | undefined> {
  const res = await client.send<T>({ ...req, method: 'GET', accept: absentOn });
  return absentOn.includes(res.status) ? undefined : res.body;
}
