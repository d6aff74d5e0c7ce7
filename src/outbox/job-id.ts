import { randomFillSync } from 'node:crypto';

/**
 * Outbox job ids as time-ordered UUIDs (version 7, RFC 9562 §5.7): 48 bits of Unix milliseconds,
 * then a 12-bit counter within the millisecond (§6.2 method 1), then 62 random bits.
 *
 * Why not randomUUID (version 4): the job id keys outbox_jobs, step_journal, job_attempts and
 * resource_links_job. Random keys put each new job on a random leaf page of each of those
 * B-trees, so every job written in one commit dirtied pages of its own: a group commit of a few
 * writes wrote ~20 WAL frames (two pwrite calls each) and the pages came back at each checkpoint
 * (issue 18, bench:outbox: ~10 pwrite per accepted write). Ids that grow with time append to the
 * same rightmost pages instead. They stay unique (62 random bits per millisecond and counter
 * value) and unguessable enough for what they are (not secrets: the admin API lists them).
 */
const POOL_IDS = 256;
const pool = Buffer.alloc(POOL_IDS * 8);
let poolAt = POOL_IDS;
let lastMs = 0;
let counter = 0;

export function newJobId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4,096 ids in one millisecond: borrow the next one, so the order still holds
    lastMs += 1;
    counter = 0;
  }
  if (poolAt === POOL_IDS) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = pool.subarray(poolAt * 8, poolAt * 8 + 8);
  poolAt += 1;
  const ms = lastMs.toString(16).padStart(12, '0');
  const randA = (0x7000 | counter).toString(16);
  const variant = ((r[0] & 0x3f) | 0x80).toString(16).padStart(2, '0') + hex(r, 1, 2);
  return `${ms.slice(0, 8)}-${ms.slice(8)}-${randA}-${variant}-${hex(r, 2, 8)}`;
}

function hex(bytes: Buffer, from: number, to: number): string {
  return bytes.toString('hex', from, to);
}

/**
 * A job id as a person reads it in a list: its random end. The start is the creation time, the
 * same for every job of the same minute, so it tells jobs apart no better than their age does.
 */
export function shortJobId(id: string): string {
  return `…${id.slice(-12)}`;
}
