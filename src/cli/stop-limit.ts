/**
 * How long a stop may take before the process exits without it: past the longest drain of
 * deliveries a slow upstream makes (about 20 s), within compose's 30 s grace. A database that
 * drops packets (no refusal, no answer) held the stop for as long as it stayed so (minutes:
 * every store call waits out its timeout and is tried again); nothing more can be recorded then,
 * and what was under way is taken over by its lease, as after a SIGKILL. Serve's and `jobs run`'s.
 */
export const STOP_LIMIT_MS = 25_000;
