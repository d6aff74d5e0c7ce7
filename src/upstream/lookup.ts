import type { UpstreamRequest, UpstreamResponse } from './client.js';

/**
 * GET one object, or undefined when the upstream says there is none: a 404 (or another status the
 * endpoint uses for "no such id", such as OpenLMIS referencedata's 400 on a malformed one). Every
 * other failure still throws, so "absent" never hides an outage.
 */
export interface Sender<R> {
  send<T>(req: R): Promise<UpstreamResponse<T>>;
}

export async function getOrAbsent<T, R extends Pick<UpstreamRequest, 'method' | 'accept'>>(
  client: Sender<R>,
  req: Omit<R, 'method' | 'accept'>,
  absentOn: number[] = [404],
): Promise<T | undefined> {
  const res = await client.send<T>({ ...req, method: 'GET', accept: absentOn } as R);
  return absentOn.includes(res.status) ? undefined : res.body;
}
