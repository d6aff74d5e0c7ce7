import { DHIS2, Dhis2Error, ACCOUNT_REFUSALS } from './errors.js';

/**
 * A DHIS2 account that DHIS2 refuses whatever the password: 401 "Account locked" or "Account
 * disabled" (FormLoginBasicAuthenticationEntryPoint). Neither is a setting to fix, and retrying at
 * once makes it worse:
 * - Locked: with keyLockMultipleFailedLogins on, DHIS2 locks an account after 4 failed logins
 *   and unlocks it 15 minutes after the last one (DefaultUserService.registerFailedLogin,
 *   isLocked; the count's cache expires 15 minutes after its last write). A login refused because
 *   the account is locked counts as a failure too, so every call with it restarts the 15 minutes.
 * - Disabled: only a DHIS2 administrator can enable it again. Each try is one more failed login,
 *   so frequent tries would leave the account locked once it is enabled.
 *
 * So on either refusal the connector sends DHIS2 nothing for HOLD_MS. Until then every call fails
 * at once with a transient error that says why and until when (the outbox defers its jobs to
 * then, `retryAt`; nothing is charged, dead-lettered or counted against its circuit breaker). The
 * first call after that asks DHIS2 again. The error never holds the username or password, only
 * the setting names.
 */
export const HOLD_MS = 16 * 60_000;

export type AccountRefusal = 'Account locked' | 'Account disabled';

/** A 401 naming a refused account, as decodeDhis2Error makes it (not retried within the call). */
export function accountRefusalOf(err: unknown): AccountRefusal | undefined {
  return err instanceof Dhis2Error && err.upstreamStatus === 401 && ACCOUNT_REFUSALS.has(err.reasonCode ?? '')
    ? (err.reasonCode as AccountRefusal)
    : undefined;
}

/** Every call while the hold lasts fails with this: transient, with when to try again. */
export class Dhis2AccountHeld extends Dhis2Error {
  constructor(
    readonly refusal: AccountRefusal,
    readonly retryAt: number,
  ) {
    super({
      system: DHIS2,
      transient: true,
      status: 503,
      code: 'login',
      upstreamStatus: 401,
      reason: { code: refusal },
      diagnostics: heldWords(refusal, retryAt),
    });
  }
}

function heldWords(refusal: AccountRefusal, retryAt: number): string {
  const until = new Date(retryAt).toISOString();
  return refusal === 'Account locked'
    ? `DHIS2 answered 401 Account locked: the account in dhis2.username is locked after repeated failed logins. ` +
        'DHIS2 unlocks it 15 minutes after the last failed login, and every call with it restarts that wait, so ' +
        `the mediator sends DHIS2 nothing until ${until} and then tries again (if the password was changed, ` +
        'set dhis2.password)'
    : `DHIS2 answered 401 Account disabled: a DHIS2 administrator must enable the account in dhis2.username ` +
        `(Users app), or set another account or dhis2.apiToken; the mediator tries again at ${until}`;
}

/**
 * How far the clock may step back during a hold and leave it on. NTP slews small offsets without
 * stepping; ntpd steps only past 128 ms, chrony past its makestep threshold (1 s or more), so a
 * step of a few seconds is an ordinary correction, each of which ended the hold for one more failed
 * login (a locked account's 15 minutes restarted). Kept on, a hold stepped back past its start
 * lasts at most this longer: 5 s on 16 minutes, harmless. A larger step (a VM resumed, a clock set
 * by hand) still ends it. A step landing after the start, like any wall clock's, lengthens the hold
 * by the step (the outbox's deferral, on its own wall clock, waits it too).
 */
export const STEP_BACK_TOLERANCE_MS = 5_000;

/**
 * The connector's hold: started by a refusal, over once HOLD_MS has passed or the settings change.
 * The clock is a wall clock: stepped back (NTP, a VM resumed) it would make the hold last the step
 * longer (an hour's step: an hour of every DHIS2 call refused with the account long unlocked). A
 * time more than STEP_BACK_TOLERANCE_MS before the hold's start ends it instead: the next call asks
 * DHIS2, and a refusal starts a new hold from the clock as it is now (one more failed login at most).
 */
export class AccountHold {
  private held?: { refusal: AccountRefusal; since: number; until: number };

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws while held; a call may go to DHIS2 otherwise. */
  check(): void {
    if (this.held && this.holding(this.now())) throw new Dhis2AccountHeld(this.held.refusal, this.held.until);
    this.held = undefined;
  }

  /** A refusal from DHIS2 starts (or restarts) the hold; the caller throws what this returns. */
  start(refusal: AccountRefusal): Dhis2AccountHeld {
    const since = this.now();
    this.held = { refusal, since, until: since + HOLD_MS };
    return new Dhis2AccountHeld(refusal, this.held.until);
  }

  /** New credentials are worth a try at once. */
  clear(): void {
    this.held = undefined;
  }

  /** What a status page shows: the refusal and until when, or nothing. */
  state(): { refusal: AccountRefusal; until: string } | undefined {
    if (!this.held || !this.holding(this.now())) return undefined;
    return { refusal: this.held.refusal, until: new Date(this.held.until).toISOString() };
  }

  /**
   * Whether the hold lasts at `now`: less than HOLD_MS since it started, and not more than
   * STEP_BACK_TOLERANCE_MS before it started.
   */
  private holding(now: number): boolean {
    const elapsed = now - this.held!.since;
    return elapsed >= -STEP_BACK_TOLERANCE_MS && elapsed < HOLD_MS;
  }
}
