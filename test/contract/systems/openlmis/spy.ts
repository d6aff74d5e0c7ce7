import type { LmisClient, LmisRequest } from '../../../../src/systems/openlmis/types.js';

/** Wraps an LmisClient and records every request (method, path, body) the connector sends. */
export function spyClient(inner: LmisClient): { client: LmisClient; sent: LmisRequest[] } {
  const sent: LmisRequest[] = [];
  const client: LmisClient = {
    call: (req) => {
      sent.push(req);
      return inner.call(req);
    },
    send: (req) => {
      sent.push(req);
      return inner.send(req);
    },
    all: (req) => {
      sent.push({ ...req, method: 'GET' });
      return inner.all(req);
    },
    reconfigure: (s) => inner.reconfigure(s),
    close: () => inner.close(),
  };
  return { client, sent };
}

/** A body as it goes on the wire (undefined fields dropped). */
export const wire = (body: unknown): unknown => JSON.parse(JSON.stringify(body));
