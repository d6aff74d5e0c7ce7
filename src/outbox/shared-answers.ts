/**
 * How long one failing answer of a system's readiness check (OutboxDeps.systemAnswers) serves
 * every held write that asks, counted from when the check ended. Short: past a write's bound, an
 * answer says whether its failure is its own (charged, dead-lettered at its last attempt) or an
 * outage's (held). A passing answer is not kept once its check ended: it dead-letters, and a write
 * failing after it may have met an outage that began since (a crash-looping upstream: up for the
 * check, down for the write); holding on a stale failing one is safe.
 */
export const ANSWER_FRESH_MS = 5_000;

type Ask = (system: string) => Promise<boolean>;

interface Kept {
  answer: Promise<boolean>;
  /** When the check ended (epoch ms); undefined while it runs. */
  endedAt?: number;
}

/**
 * `ask` shared by every write asking about one system: a check still running is joined, one that
 * failed less than `freshMs` ago answers again, else one more is made. Each write held past its
 * bound asked on its own: a thousand held writes made a thousand checks a retry pass (each up to
 * 10 s while the system hangs), all at once. Now at most one runs per system, and while it fails
 * at most one starts per system every `freshMs` however many writes ask. A check that throws
 * answers false (an outage: the write is held), as the outbox read it before.
 */
export function sharedAnswers(ask: Ask, freshMs = ANSWER_FRESH_MS): Ask {
  const kept = new Map<string, Kept>();
  return (system) => {
    const last = kept.get(system);
    if (last && (last.endedAt === undefined || fresh(Date.now() - last.endedAt, freshMs))) return last.answer;
    const entry: Kept = { answer: checkOnce(ask, system) };
    kept.set(system, entry);
    void entry.answer.then((answered) => {
      entry.endedAt = Date.now();
      // a pass serves only the writes that joined its check: a later failure asks again
      if (answered && kept.get(system) === entry) kept.delete(system);
    });
    return entry.answer;
  };
}

/** An age below `freshMs`; a negative one (the clock stepped back) is not: asked again. */
function fresh(ageMs: number, freshMs: number): boolean {
  return ageMs >= 0 && ageMs < freshMs;
}

async function checkOnce(ask: Ask, system: string): Promise<boolean> {
  try {
    return (await ask(system)) === true;
  } catch {
    return false;
  }
}
