import { FailureWindow } from '../../platform/failure-window.js';

/**
 * How often the console's sign-in may be tried. The admin token is the one secret behind the
 * whole /admin surface, so guessing it must be slow: failed sign-ins are counted per client
 * address and per name over a sliding window, and past the limit every attempt from that
 * address, or for that name, is refused with 429 and Retry-After until the oldest failure leaves
 * the window. The address limit is higher than the name limit: a ministry office signs in from
 * behind one NAT address. A successful sign-in clears its name's failures (the person is back)
 * but not the address's (a guesser could otherwise mix in a known-good sign-in). Counted in this
 * process: with several instances each one limits on its own (a guesser gains at most a factor
 * of the instance count).
 */
export interface SignInLimits {
  /** Failed sign-ins from one address within the window (default 20). */
  perAddress: number;
  /** Failed sign-ins for one name within the window (default 5). */
  perName: number;
  windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perAddress: 20, perName: 5, windowMs: 15 * 60_000 };

export interface Refusal {
  /** Which limit: the address or the name. */
  by: 'address' | 'name';
  /** Whole seconds until one more attempt is allowed (at least 1). */
  retryAfterS: number;
}

export class SignInLimiter {
  private readonly byAddress: FailureWindow;
  private readonly byName: FailureWindow;

  constructor(
    limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.byAddress = new FailureWindow(limits.perAddress, limits.windowMs);
    this.byName = new FailureWindow(limits.perName, limits.windowMs);
  }

  /** Why this attempt is refused before the token is even compared, or undefined. */
  check(address: string, name: string): Refusal | undefined {
    const now = this.now();
    const address_ = this.byAddress.waitMs(address, now);
    const name_ = this.byName.waitMs(nameKey(name), now);
    if (!address_ && !name_) return undefined;
    const by = address_ >= name_ ? 'address' : 'name';
    return { by, retryAfterS: Math.max(1, Math.ceil(Math.max(address_, name_) / 1000)) };
  }

  failed(address: string, name: string): void {
    const now = this.now();
    this.byAddress.fail(address, now);
    this.byName.fail(nameKey(name), now);
  }

  succeeded(name: string): void {
    this.byName.clear(nameKey(name));
  }
}

/** "Ann", "ann " and "ANN" are one person to the limit. */
const nameKey = (name: string) => name.trim().toLowerCase();
