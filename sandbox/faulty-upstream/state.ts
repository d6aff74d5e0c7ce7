/**
 * What the faulty upstream has applied, by business key. It is deliberately idempotency-unaware:
 * every write it accepts is applied again, so a duplicate delivery shows up as a count above 1.
 */
export interface AppliedRecord {
  count: number;
  /** Id given on the first application (what a lookup returns). */
  id: string;
}

export interface Draft {
  id: string;
  key: string;
  payload: unknown;
  submitted: number;
}

export class UpstreamState {
  readonly applied = new Map<string, AppliedRecord>();
  /** How many drafts were initiated per key (the 2-step mode's first step). */
  readonly initiated = new Map<string, number>();
  readonly drafts = new Map<string, Draft>();
  private seq = 0;

  apply(key: string): AppliedRecord {
    const rec = this.applied.get(key);
    if (rec) {
      rec.count += 1;
      return rec;
    }
    const fresh = { count: 1, id: `w-${++this.seq}` };
    this.applied.set(key, fresh);
    return fresh;
  }

  initiate(key: string, payload: unknown): Draft {
    const draft = { id: `d-${++this.seq}`, key, payload, submitted: 0 };
    this.drafts.set(draft.id, draft);
    this.initiated.set(key, (this.initiated.get(key) ?? 0) + 1);
    return draft;
  }

  snapshot(): { applied: Record<string, number>; ids: Record<string, string>; initiated: Record<string, number> } {
    return {
      applied: Object.fromEntries([...this.applied].map(([k, v]) => [k, v.count])),
      ids: Object.fromEntries([...this.applied].map(([k, v]) => [k, v.id])),
      initiated: Object.fromEntries(this.initiated),
    };
  }

  clear(): void {
    this.applied.clear();
    this.initiated.clear();
    this.drafts.clear();
  }
}
