import type { UpstreamRequest, UpstreamResponse } from './client.js';

/**
 * GET one object, or undefined when the upstream says there is none: a 404 (or another status the
 * endpoint uses for "no such id", such as OpenLMIS referencedata's 400 on a malformed one). Every
 * other failure still throws, so "absent" never hides an outage.
 *
 * `noBody`: the error for a 2xx without a body (a 204 No Content, an empty 200). None of the APIs
 * read so answers a found object without it, nor a missing one with a 2xx: it is a proxy's or a
 * gateway's, and says nothing about the object. Read as "absent", an outage refused for good a
 * write naming the object (a facility "not in" the system) or showed a client a 404.
 */
export interface Sender<R> {
  send<T>(req: R): Promise<UpstreamResponse<T>>;
}

export async function getOrAbsent<T, R extends Pick<UpstreamRequest, 'method' | 'accept'>>(
  client: Sender<R>,
  req: Omit<R, 'method' | 'accept'>,
  absentOn: number[] = [404],
  noBody?: (status: number) => Error,
): Promise<T | undefined> {
  const res = await client.send<T>({ ...req, method: 'GET', accept: absentOn } as R);
  if (absentOn.includes(res.status)) return undefined;
  if (noBody && isEmpty(res.body)) throw noBody(res.status);
  return res.body;
}

const isEmpty = (body: unknown) => body === undefined || body === null || body === '';
