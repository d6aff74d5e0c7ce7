/**
 * Failed logins and locked or disabled accounts, as DHIS2 handles them for Basic auth:
 * - With the system setting keyLockMultipleFailedLogins on (default off, SystemSettings
 *   .getLockMultipleFailedLogins), every failed authentication of a username counts
 *   (AuthenticationListener.handleAuthenticationFailure → DefaultUserService.registerFailedLogin).
 *   That includes a login refused because the account is already locked. The count lives in a
 *   cache that forgets it 15 minutes after its last write (DefaultCacheProvider
 *   .createUserFailedLoginAttemptCache, expireAfterWrite(15, MINUTES)). At 4 failures
 *   (UserConstants.LOGIN_MAX_FAILED_ATTEMPTS) the account is locked (isLocked), so each try while
 *   locked restarts the 15 minutes. A successful login clears the count.
 * - A locked or disabled account is answered 401 with the WebMessage "Account locked" or
 *   "Account disabled" (FormLoginBasicAuthenticationEntryPoint, for a Basic Authorization
 *   header); a wrong password "Unauthorized".
 */
export const LOGIN_MAX_FAILED_ATTEMPTS = 4;
export const LOCKOUT_MS = 15 * 60_000;

export type LoginRefusal = 'Unauthorized' | 'Account locked' | 'Account disabled';

export class Logins {
  /** keyLockMultipleFailedLogins (tests turn it on). */
  lockMultipleFailedLogins = false;
  /** Usernames whose account an administrator disabled. */
  readonly disabled = new Set<string>();
  /** Added to Date.now() (tests move the clock past the lockout). */
  clockOffsetMs = 0;
  private readonly failures = new Map<string, { count: number; writtenAt: number }>();

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private failedCount(username: string): number {
    const f = this.failures.get(username);
    if (!f || this.now() - f.writtenAt >= LOCKOUT_MS) return 0;
    return f.count;
  }

  isLocked(username: string): boolean {
    return this.lockMultipleFailedLogins && this.failedCount(username) >= LOGIN_MAX_FAILED_ATTEMPTS;
  }

  /** The answer to a Basic login: undefined when it succeeds, else the 401's message. */
  check(username: string, known: boolean, passwordMatches: boolean): LoginRefusal | undefined {
    let refusal: LoginRefusal | undefined;
    if (known && this.isLocked(username)) refusal = 'Account locked';
    else if (known && passwordMatches && this.disabled.has(username)) refusal = 'Account disabled';
    else if (!known || !passwordMatches) refusal = 'Unauthorized';
    if (!refusal) {
      this.failures.delete(username);
      return undefined;
    }
    if (this.lockMultipleFailedLogins)
      this.failures.set(username, { count: this.failedCount(username) + 1, writtenAt: this.now() });
    return refusal;
  }
}
