import {
  startOpenLmisSandbox,
  type OpenLmisSandbox,
  type OpenLmisSandboxOptions,
} from '../../../../sandbox/openlmis/index.js';

/** A started sandbox plus a tiny fetch client that logs in like the connector will. */
export interface Harness {
  sb: OpenLmisSandbox;
  seed: ReturnType<OpenLmisSandbox['state']['seedSummary']>;
  login: (username?: string) => Promise<string>;
  serviceToken: () => Promise<string>;
  call: (
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startHarness(options: OpenLmisSandboxOptions = {}): Promise<Harness> {
  const sb = await startOpenLmisSandbox(options);
  const seed = sb.state.seedSummary();
  const call: Harness['call'] = async (method, path, token, body, headers = {}) => {
    const res = await fetch(`${sb.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const login = async (username = 'administrator') => {
    const res = await call(
      'POST',
      `/api/oauth/token?grant_type=password&username=${username}&password=password`,
      null,
      undefined,
      { authorization: basic('user-client', 'changeme') },
    );
    if (res.status !== 200) throw new Error(`login failed ${res.status}`);
    return res.body.access_token as string;
  };
  const serviceToken = async () => {
    const res = await call('POST', '/api/oauth/token?grant_type=client_credentials', null, undefined, {
      authorization: basic('trusted-client', 'secret'),
    });
    return res.body.access_token as string;
  };
  return { sb, seed, login, serviceToken, call };
}

/** Initiates the oldest initiable regular requisition for (facility, program). */
export async function initiate(
  h: Harness,
  token: string,
  facilityCode: string,
  programCode: string,
  headers: Record<string, string> = {},
) {
  const facility = h.seed.facilities[facilityCode];
  const program = h.seed.programs[programCode];
  const periods = await h.call(
    'GET',
    `/api/requisitions/periodsForInitiate?programId=${program}&facilityId=${facility}&emergency=false`,
    token,
  );
  if (periods.status !== 200) return periods;
  const period = periods.body[0];
  return h.call(
    'POST',
    `/api/requisitions/initiate?program=${program}&facility=${facility}&suggestedPeriod=${period.id}&emergency=false`,
    token,
    undefined,
    headers,
  );
}

/** Initiates an emergency requisition (no lines yet) for (facility, program) in the first period offered. */
export async function initiateEmergency(h: Harness, token: string, facilityCode: string, programCode: string) {
  const facility = h.seed.facilities[facilityCode];
  const program = h.seed.programs[programCode];
  const periods = await h.call(
    'GET',
    `/api/requisitions/periodsForInitiate?programId=${program}&facilityId=${facility}&emergency=true`,
    token,
  );
  return h.call(
    'POST',
    `/api/requisitions/initiate?program=${program}&facility=${facility}&suggestedPeriod=${periods.body[0].id}&emergency=true`,
    token,
  );
}

/** Fills every line with a requested quantity and explanation through PUT. */
export async function fill(h: Harness, token: string, requisition: any, quantity = (i: number) => 100 * (i + 1)) {
  requisition.requisitionLineItems.forEach((l: any, i: number) => {
    l.requestedQuantity = quantity(i);
    l.requestedQuantityExplanation = 'based on last month';
  });
  return h.call('PUT', `/api/requisitions/${requisition.id}`, token, requisition);
}
