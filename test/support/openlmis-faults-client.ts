/**
 * A client that behaves like OpenHIM in front of the mediator: a request that gets no answer
 * (the mediator was killed, the connection dropped, it took too long) or a 5xx is sent again
 * with the same business key; a 202 is followed by polling reads, then the same write is sent
 * again, which the mediator answers from the job (200/201 once done). A 4xx is final.
 */
import type { Write } from './openlmis-faults-workload.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Answer {
  /** the last status seen (undefined: never answered) */
  status?: number;
  /** per-entry statuses of a Bundle answer */
  entries?: string[];
  diagnostics?: string;
  /** final: done (2xx, nothing queued), refused (4xx), or still open when the client gave up */
  outcome: 'done' | 'refused' | 'open';
  sends: number;
  noAnswer: number;
  server5xx: number;
  queued202: number;
}

export interface ClientOptions {
  /** the base URL of a live mediator, or undefined while none is up */
  pick: (attempt: number) => string | undefined;
  auth: string;
  /** the client gives up (outcome open) after this time (epoch ms) */
  deadline: number;
  requestTimeoutMs: number;
}

function isQueued(status: number, body: any): boolean {
  if (status === 202) return true;
  const entries: any[] = body?.resourceType === 'Bundle' ? (body.entry ?? []) : [];
  return entries.some((e) => String(e.response?.status ?? '').startsWith('202'));
}

export async function send(w: Write, opts: ClientOptions): Promise<Answer> {
  const a: Answer = { outcome: 'open', sends: 0, noAnswer: 0, server5xx: 0, queued202: 0 };
  const headers = {
    authorization: opts.auth,
    accept: 'application/fhir+json',
    'content-type': 'application/fhir+json',
  };
  for (let attempt = 0; Date.now() < opts.deadline; attempt++) {
    const base = opts.pick(attempt);
    if (!base) {
      await sleep(100);
      continue;
    }
    a.sends += 1;
    let status: number;
    let body: any;
    try {
      const res = await fetch(`${base}${w.url}`, {
        method: w.method,
        headers,
        body: JSON.stringify(w.body),
        signal: AbortSignal.timeout(opts.requestTimeoutMs),
      });
      status = res.status;
      const text = await res.text();
      body = text ? JSON.parse(text) : undefined;
    } catch {
      a.noAnswer += 1; // killed, reset or too slow: OpenHIM reruns it later with the same key
      await sleep(150 + Math.random() * 250);
      continue;
    }
    a.status = status;
    a.entries =
      body?.resourceType === 'Bundle'
        ? (body.entry ?? []).map((e: any) => String(e.response?.status ?? ''))
        : undefined;
    a.diagnostics =
      body?.resourceType === 'OperationOutcome' ? body.issue?.map((i: any) => i.diagnostics).join(' | ') : undefined;
    if (status >= 500) {
      a.server5xx += 1;
      await sleep(200 + Math.random() * 300);
      continue;
    }
    if (status >= 400) {
      a.outcome = 'refused';
      return a;
    }
    if (isQueued(status, body)) {
      a.queued202 += 1;
      // poll the resource a few times, as an app showing the order's state would, then ask again
      for (let i = 0; i < 3 && Date.now() < opts.deadline; i++) {
        await sleep(400);
        const live = opts.pick(attempt + i + 1);
        if (live)
          await fetch(`${live}${w.read}`, { headers, signal: AbortSignal.timeout(opts.requestTimeoutMs) }).then(
            (r) => r.arrayBuffer(),
            () => undefined,
          );
      }
      continue;
    }
    a.outcome = 'done';
    return a;
  }
  return a;
}
