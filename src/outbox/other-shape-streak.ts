/**
 * Answers of another shape (upstream/errors.ts malformedAnswer: a 2xx the API does not promise)
 * a system's deliveries met since its last success, by what was asked (askedOf: method, path,
 * query and body digest) and which job asked it. One request answered so is one poisoned record
 * or endpoint (a lookup of one item, a page without its events for one facility), however many
 * jobs ask it: two orders naming one poisoned item, the lines of one Bundle, an order and its
 * amendment. It must not open the breaker, or it would hold back every healthy write to the
 * system. Different jobs meeting them on different requests with no success between is the
 * system answering so, as a gateway's `200 {"message":"maintenance"}` or a login page does to
 * every request (so are different jobs meeting one REST read, sharedRead): such answers then count toward the breaker as a down system's do, so the queue
 * is held, uncharged, instead of each job being dead-lettered on its own. Nor does one job alone
 * make it the system's (its retry may ask for a requisition of a new id each time).
 */

/**
 * A REST read (askedKey: `GET path?query`) that another job met answered so too. Behind a REST
 * system's gateway in maintenance every write's first request is the same read (OpenMRS's cached
 * party list): keyed by it alone, the gateway looked like one poisoned request and each write was
 * dead-lettered. A read is the system's to serve to every write that needs it, so different jobs
 * meeting it count. A write (POST, PUT: one poisoned record's) and a GraphQL query (posted:
 * one poisoned item's look-up that several orders name) stay one request's.
 */
function sharedRead(asked: string): boolean {
  return asked.startsWith('GET ');
}

/**
 * Why odd answers are the system's (OtherShapeStreak.note): different jobs met them on different
 * requests (a gateway answering every request so: held however long), or only on one shared REST
 * read (sharedRead: a gateway, or one poisoned look-up several writes name; the outbox holds
 * those writes only for a while, breakers.ts probeHeldForAWhile). False: one request's.
 */
export type OtherShapeVerdict = false | 'requests' | 'shared-read';

/** Odd answers remembered at most: a flood of them cannot grow memory without bound. */
const MAX_MET = 1_000;

export class OtherShapeStreak {
  /** `job\nasked` → when it was last met (in insertion order: oldest first). */
  private readonly lastMet = new Map<string, number>();

  /**
   * @param windowMs how far back an odd answer still joins the streak, read when used. The
   * outbox passes outbox.backoffCapMs: every queued job is tried again within it, so while a
   * gateway answers all requests so, two queued jobs always meet it within the window; an odd
   * answer met days ago by another record is not joined to today's poisoned one.
   */
  constructor(private readonly windowMs: () => number) {}

  /**
   * Notes `job` meeting one when it asked `asked`; whether it is now the system's: another job
   * met one on another request within the window (two of each, the fewest that are not one
   * record). Any success in between (a healthy write) clears the streak (clear), so poisoned
   * records beside healthy traffic never count; two poisoned records with no other traffic may
   * open the breaker, and its first probe that is a healthy write closes it again. Different
   * requests outrank a shared read: they are the stronger sign of the system.
   */
  note(job: string, asked: string, now: number): OtherShapeVerdict {
    const since = now - this.windowMs();
    const entry = `${job}\n${asked}`;
    this.lastMet.delete(entry);
    for (const [e, at] of this.lastMet) {
      if (at > since && this.lastMet.size < MAX_MET) break;
      this.lastMet.delete(e);
    }
    this.lastMet.set(entry, now);
    let verdict: OtherShapeVerdict = false;
    for (const e of this.lastMet.keys()) {
      const cut = e.indexOf('\n');
      if (e.slice(0, cut) === job) continue;
      if (e.slice(cut + 1) !== asked) return 'requests';
      if (sharedRead(asked)) verdict = 'shared-read';
    }
    return verdict;
  }

  /** The system answered as its API promises: what came before was not the system's. */
  clear(): void {
    this.lastMet.clear();
  }
}
