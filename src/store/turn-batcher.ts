/**
 * Client-side group commit for PostgreSQL (issue 18): calls of one kind (record a write, finish
 * a job) made while the previous batch of that kind is in the database are sent together as one
 * statement, one transaction, one commit, instead of one of each per call. The database's own
 * group commit shares an fsync between concurrent commits, but every statement still costs a
 * round trip, a parse, a plan, a snapshot and a commit record in the server's CPU: on a machine
 * where the mediator and PostgreSQL share the cores that, not the disk, is what limits writes.
 *
 * Durability is that of each call alone: a call settles only once the statement that carried it
 * has committed. A lone call runs its own one-row statement. If a batch statement fails (one
 * member's bad value, a deadlock between instances, a row two members touch), each member is
 * run again alone, so one bad call fails alone, as it would without batching.
 */
interface Pending<I, O> {
  input: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export interface TurnBatcherOptions<I, O> {
  /** Several calls in one statement; answers in the same order. */
  many(inputs: I[]): Promise<O[]>;
  /** One call alone (a lone call, and each member of a failed batch). */
  one(input: I): Promise<O>;
  /** Batches of this kind in the database at once (the connections they hold are not the pool's to give). */
  inFlight?: number;
  maxBatch?: number;
}

export class TurnBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = 0;
  private scheduled = false;
  private readonly inFlight: number;
  private readonly maxBatch: number;
  /** Statements sent and calls they carried, for tests and benchmarks. */
  readonly stats = { statements: 0, calls: 0 };

  constructor(private readonly opts: TurnBatcherOptions<I, O>) {
    this.inFlight = opts.inFlight ?? 2;
    this.maxBatch = opts.maxBatch ?? 200;
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** At the end of this turn, so the calls made in it go together. */
  private schedule(): void {
    if (this.scheduled || this.running >= this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.inFlight && this.queue.length > 0) void this.send(this.queue.splice(0, this.maxBatch));
    });
  }

  private async send(batch: Pending<I, O>[]): Promise<void> {
    this.running += 1;
    this.stats.calls += batch.length;
    try {
      if (batch.length === 1) {
        this.stats.statements += 1;
        await this.alone(batch[0]);
        return;
      }
      let answers: O[] | undefined;
      try {
        this.stats.statements += 1;
        answers = await this.opts.many(batch.map((p) => p.input));
      } catch {
        answers = undefined;
      }
      if (answers) {
        batch.forEach((p, i) => p.resolve(answers[i]));
        return;
      }
      this.stats.statements += batch.length;
      await Promise.all(batch.map((p) => this.alone(p)));
    } finally {
      this.running -= 1;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private alone(p: Pending<I, O>): Promise<void> {
    return this.opts.one(p.input).then(p.resolve, p.reject);
  }
}
