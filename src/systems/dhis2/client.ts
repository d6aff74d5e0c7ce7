import { basicAuth } from '../../upstream/auth/basic.js';
import { systemInfoAnswer, throwOnPageAnswer } from './page-answer.js';
import { staticTokenAuth } from '../../upstream/auth/static-token.js';
import type { AuthStrategy } from '../../upstream/auth/types.js';
import { createUpstreamClient, type UpstreamRequest, type UpstreamResponse } from '../../upstream/client.js';
import { asRecord, malformedAnswer } from '../../upstream/errors.js';
import { UpstreamError } from '../../domain/errors.js';
import { collectAllPages } from '../../upstream/paging.js';
import { outsideAttempt } from '../../upstream/attempt-scope.js';
import type { Query } from '../../upstream/http.js';
import { AccountHold, accountRefusalOf } from './account-hold.js';
import { DHIS2, Dhis2Error, decodeDhis2Error, loginRefusal, makeDhis2Error } from './errors.js';
import type { Dhis2Settings } from './settings.js';
import { UserTraces } from './recorded-answers.js';
import { instantOfWallTime, serverZoneOf } from './server-time.js';
import { featuresOf, parseVersion, type Dhis2Version, type VersionFeatures } from './version.js';

/**
 * The DHIS2 client: the shared transport (upstream/client.ts: pool, deadline, bulkhead, retries of
 * idempotent calls) with DHIS2's credentials (a personal access token `Authorization: ApiToken …`
 * when set, else Basic; docs.dhis2.org developer/web-api overview.md "Authentication"), its
 * WebMessage errors, its `pager` lists and the server version, asked once.
 */
export interface Dhis2Client {
  send<T>(req: UpstreamRequest): Promise<UpstreamResponse<T>>;
  call<T>(req: UpstreamRequest): Promise<T>;
  /** Every item of a paged list (`{pager, <key>: [...]}`), page by page: never `paging=false`. */
  list<T>(path: string, key: string, query?: Query, pageSize?: number): Promise<T[]>;
  /** The server's version (GET /api/system/info once; asked again after a failure or a reconfigure). */
  version(): Promise<Dhis2Version | undefined>;
  /**
   * The server's time zone (`serverTimeZoneId`, from the same system/info answer as the version):
   * DHIS2's times without a zone are wall time in it (server-time.ts).
   */
  serverZone(): Promise<string>;
  /**
   * The server's zone asked again (system/info): DHIS2's zone is its JVM's, so it changes when
   * DHIS2 restarts elsewhere, not when the mediator does. The answer replaces the known one for
   * every later question; a failed question keeps the known one (after a timeout, reused ZONE_REUSE_MS more). An
   * answer younger than ZONE_REUSE_MS is reused, and callers asking at once share one question.
   */
  serverZoneNow(): Promise<string>;
  /**
   * DHIS2's own clock (the instant of system/info's `serverDate`, as its latest answer gave it),
   * undefined without one: what it stamps its times with, which the mediator's clock may not be.
   */
  serverNow(): Promise<number | undefined>;
  features(): Promise<VersionFeatures>;
  settings(): Dhis2Settings;
  reconfigure(next: Dhis2Settings): void;
  close(): Promise<void>;
}

export interface Dhis2ClientOptions {
  retries?: number;
  retryDelayMs?: number;
  /** The client's clock: the account hold's (account-hold.ts) and the zone's reuse; tests move it on. */
  now?: () => number;
}

/**
 * How long a system/info answer's zone is reused by serverZoneNow. The zone is the JVM's: it
 * changes only when DHIS2 restarts, which takes minutes during which every call fails, so an
 * answer younger than this cannot be from before a restart the next call meets; yet asking
 * system/info for every search, read and write would double the calls of the hot paths.
 */
export const ZONE_REUSE_MS = 30_000;

/** Token when configured, else the user's Basic pair: read per call, so a live change applies at once. */
export function dhis2Auth(settings: () => Dhis2Settings): AuthStrategy {
  const token = staticTokenAuth({ token: () => settings().apiToken, scheme: 'ApiToken' });
  const basic = basicAuth(
    () => ({ username: settings().username, password: settings().password }),
    'no credentials configured (set dhis2.username and dhis2.password, or dhis2.apiToken)',
  );
  return {
    authorize: (ctx, kind) => (settings().apiToken ? token.authorize(ctx, kind) : basic.authorize(ctx, kind)),
    refused: () => false,
    reset: () => undefined,
  };
}

export function createDhis2Client(settings: () => Dhis2Settings, options: Dhis2ClientOptions = {}): Dhis2Client {
  const upstream = createUpstreamClient<Dhis2Settings>({
    system: DHIS2,
    settings,
    auth: dhis2Auth,
    decodeError: decodeDhis2Error,
    makeError: makeDhis2Error,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
  });
  const clock = options.now ?? Date.now;
  let known: Promise<Record<string, unknown>> | undefined;
  /** When `known` was answered (the client's clock); undefined while it is asked. */
  let knownAt: number | undefined;
  /** The one serverZoneNow question in flight, shared by every caller meanwhile. */
  let zoneAsked: Promise<Record<string, unknown>> | undefined;
  /** The version read from `known` (one promise, so every caller is given the same value). */
  let knownVersion: Promise<Dhis2Version | undefined> | undefined;
  const hold = new AccountHold(clock);
  const traces = new UserTraces(() => upstream.settings().username);
  /** Every answer is recorded for OpenHIM without the integration user (recorded-answers.ts); a read's page is no answer (page-answer.ts). */
  const recorded = (req: UpstreamRequest): UpstreamRequest => ({
    ...req,
    recordResponse: req.recordResponse ?? traces.recorder(req.path),
    decodeAnswer: (res) => {
      throwOnPageAnswer(req.method, req.path, res);
      req.decodeAnswer?.(res);
    },
  });
  /** Every call to DHIS2 goes through the account hold: none while held, and a refusal starts it. */
  const held = async <T>(call: () => Promise<T>): Promise<T> => {
    hold.check();
    try {
      return await call();
    } catch (err) {
      const refusal = accountRefusalOf(err);
      throw refusal ? hold.start(refusal) : loginRefusal(err);
    }
  };

  /**
   * GET /api/system/info. recorded(): a login page answered here is transient like any read's, never
   * "no version" (taken as the newest server, for the life of the process).
   */
  const askSystemInfo = (): Promise<Record<string, unknown>> => {
    const path = '/api/system/info';
    return held(() =>
      upstream.call<unknown>(recorded({ method: 'GET', path, decodeAnswer: systemInfoAnswer(path) })),
    ).then((info) => asRecord(info) ?? {});
  };

  /** GET /api/system/info, asked once: the version and the time zone are read from the one answer. */
  const systemInfo = (): Promise<Record<string, unknown>> => {
    if (!known) {
      const asked = askSystemInfo();
      knownAt = undefined;
      // a failed question is asked again next time (unless a newer one replaced it meanwhile)
      asked.then(
        () => {
          if (known === asked) knownAt = clock();
        },
        () => {
          if (known === asked) known = undefined;
        },
      );
      known = asked;
      knownVersion = asked.then((info) => parseVersion(info.version));
      // its failure is the caller's of version(); asked only for the zone, it is no unhandled rejection
      knownVersion.catch(() => undefined);
    }
    return known;
  };

  /**
   * system/info asked again: its answer, once come, is the known one. A failure keeps the known
   * answer. One that took the whole timeout (slowAnswer) also puts the next question off
   * ZONE_REUSE_MS: asked again at once, every wave of calls would first wait out that timeout and
   * its retries. A quick failure (refused, 502, 503: DHIS2 restarting, the very time its zone
   * moves) is asked again by the next call, cheaply: a DHIS2 back in another zone is read at once,
   * not after up to ZONE_REUSE_MS of writes stamped hours off.
   */
  const systemInfoAgain = async (): Promise<Record<string, unknown>> => {
    const was = known;
    let slow = false;
    const info = await askSystemInfo().catch((err: unknown) => {
      slow = slowAnswer(err);
      return undefined;
    });
    if (info === undefined) {
      if (known === was && slow) knownAt = clock();
      return systemInfo();
    }
    // unless a reconfigure dropped the known answer meanwhile (its server may be another)
    if (known === was) {
      known = Promise.resolve(info);
      knownAt = clock();
      knownVersion = known.then((i) => parseVersion(i.version));
    }
    return info;
  };

  /**
   * The answer serverZoneNow reads: the known one while fresh (or still asked: the first question
   * of the process, whose failure is the caller's as before), else one question shared by every
   * caller until it is answered. After a timeout the known one is reused ZONE_REUSE_MS more
   * (systemInfoAgain): a DHIS2 answering again within that time is read in its old zone until
   * then, the price of not making every call wait out a hanging system/info; after a quick failure
   * the next caller asks again.
   */
  const freshSystemInfo = (): Promise<Record<string, unknown>> => {
    // an age below 0 is the wall clock stepped back (NTP, a VM resumed): no telling how old it is
    const age = knownAt === undefined ? undefined : clock() - knownAt;
    if (!known || age === undefined || (age >= 0 && age < ZONE_REUSE_MS)) return systemInfo();
    if (!zoneAsked) {
      // shared by every caller meanwhile, so not ended by the attempt that asked first (its read
      // signal): ended so, a hanging question failed as that attempt's abort, not as a timeout
      // (20 s and two retries outlast outbox.attemptTimeoutMs), and was never put off
      const asked = outsideAttempt(systemInfoAgain).finally(() => {
        if (zoneAsked === asked) zoneAsked = undefined;
      });
      zoneAsked = asked;
    }
    return zoneAsked;
  };

  /**
   * The tracker API came in 2.36 (before it only the legacy /api/events, /api/trackedEntityInstances,
   * which this connector does not speak): on an older server a tracker call is refused by name
   * instead of failing as a 404 the operator would have to decode.
   */
  const trackerReady = async (path: string): Promise<void> => {
    if (!path.startsWith('/api/tracker')) return;
    const v = await client.version();
    if (v && !featuresOf(v).trackerApi)
      throw new Dhis2Error({
        system: DHIS2,
        transient: false,
        status: 422,
        code: 'not-supported',
        diagnostics: `DHIS2 ${v.text} has no tracker API (/api/tracker, 2.36 and later): RTS stock, consignments and requisitions need DHIS2 2.36 or later`,
      });
  };

  const client: Dhis2Client = {
    send: async (req) => {
      await trackerReady(req.path);
      return held(() => upstream.send(recorded(req)));
    },
    call: async (req) => {
      await trackerReady(req.path);
      return held(() => upstream.call(recorded(req)));
    },
    list<T>(path: string, key: string, query: Query = {}, pageSize?: number): Promise<T[]> {
      const size = pageSize ?? upstream.settings().pageSize;
      return collectAllPages<T>(
        (page, n) =>
          held(() =>
            upstream.call<unknown>(recorded({ method: 'GET', path, query: { ...query, page: page + 1, pageSize: n } })),
          ),
        size,
        {
          system: DHIS2,
          what: `GET ${path}`,
          makeError: makeDhis2Error,
          readPage: (body) => {
            const b = asRecord(body);
            const items = b?.[key];
            if (!Array.isArray(items)) return undefined;
            // every DHIS2 collection lists objects: another item (null, a number) would fail the
            // decoding further on as a TypeError of ours (a 500); it is the answer that is wrong
            if (!items.every((i) => asRecord(i)))
              throw malformedAnswer(
                DHIS2,
                `GET ${path} answered ${key} whose items are not all objects`,
                makeDhis2Error,
              );
            const pager = asRecord(b!.pager);
            // no pager: the server sent the whole list (an old server or a short list)
            const last = !pager || Number(pager.page ?? 1) >= Number(pager.pageCount ?? 1);
            return { items: items as T[], last };
          },
        },
      );
    },
    version() {
      void systemInfo();
      return knownVersion!;
    },
    serverZone() {
      return systemInfo().then((info) => serverZoneOf(info.serverTimeZoneId));
    },
    serverZoneNow() {
      return freshSystemInfo().then((info) => serverZoneOf(info.serverTimeZoneId));
    },
    serverNow() {
      return systemInfo().then((info) => serverInstantOf(info.serverDate, serverZoneOf(info.serverTimeZoneId)));
    },
    async features() {
      return featuresOf(await client.version());
    },
    settings: () => upstream.settings(),
    reconfigure(next) {
      known = undefined;
      knownAt = undefined;
      zoneAsked = undefined;
      hold.clear();
      upstream.reconfigure(next);
    },
    close: () => upstream.close(),
  };
  return client;
}

/** system/info's `serverDate` as an instant: without a zone, a wall time in the server's `zone`. */
function serverInstantOf(date: unknown, zone: string): number | undefined {
  if (typeof date !== 'string') return undefined;
  const at = /[zZ]$|[+-]\d\d:?\d\d$/.test(date) ? Date.parse(date) : instantOfWallTime(date, zone);
  return Number.isFinite(at) ? at : undefined;
}

/**
 * A failure that took the whole wait: no answer within the timeout, or a gateway's 504 (DHIS2
 * behind it not answering in time). Asking again at once would make the next caller wait as long.
 */
function slowAnswer(err: unknown): boolean {
  if (!(err instanceof UpstreamError)) return false;
  return err.upstreamStatus === 504 || err.issues.some((i) => i.code === 'timeout');
}
