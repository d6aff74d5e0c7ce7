/**
 * A tiny client for the OpenHIM mediator API as an operator (console) would use it: used by tests
 * and the demo against the sandbox (and works against a real core over http).
 */
export interface AdminCredentials {
  email: string;
  password: string;
}

export interface ApiAnswer {
  status: number;
  text: string;
  json<T = unknown>(): T;
}

export function openhimAdmin(baseUrl: string, credentials: AdminCredentials) {
  const authorization = `Basic ${Buffer.from(`${credentials.email}:${credentials.password}`).toString('base64')}`;
  async function call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: <T>() => JSON.parse(text) as T };
  }
  const mediatorPath = (urn: string) => `/mediators/${encodeURIComponent(urn)}`;
  return {
    call,
    register: (registration: unknown) => call('POST', '/mediators', registration),
    list: () => call('GET', '/mediators'),
    get: (urn: string) => call('GET', mediatorPath(urn)),
    heartbeat: (urn: string, body: unknown) => call('POST', `${mediatorPath(urn)}/heartbeat`, body),
    setConfig: (urn: string, config: unknown) => call('PUT', `${mediatorPath(urn)}/config`, config),
    installChannels: (urn: string, names?: string[]) => call('POST', `${mediatorPath(urn)}/channels`, names ?? []),
  };
}
